// The small pure parts of the API server: field selectors, URL routing, and errors as Status.

import assert from 'node:assert/strict';
import type { KObject, Pod } from '@kip/shared';
import { ApiError, fromStoreError, invalid, notFound, toApiError, type ApiReason } from '@kip/controlplane';
import { fieldsMatch, parseFieldSelector } from '@kip/controlplane';
import { parseRoute, type Route } from '@kip/controlplane';
import { StoreError, type StoreErrorCode } from '@kip/controlplane';
import { checkApiError } from './api-assert.js';

describe('controlplane/api/field-selector', () => {
  const cases: { in: string | undefined; want: { path: string[]; value: string; negate: boolean }[] }[] = [
    { in: undefined, want: [] },
    { in: '', want: [] },
    { in: 'spec.nodeName=node-1', want: [{ path: ['spec', 'nodeName'], value: 'node-1', negate: false }] },
    { in: 'spec.nodeName==node-1', want: [{ path: ['spec', 'nodeName'], value: 'node-1', negate: false }] },
    { in: 'status.phase!=Running', want: [{ path: ['status', 'phase'], value: 'Running', negate: true }] },
    { in: 'spec.nodeName=', want: [{ path: ['spec', 'nodeName'], value: '', negate: false }] },
    { in: ' metadata.name = web , ', want: [{ path: ['metadata', 'name'], value: 'web', negate: false }] },
    {
      in: 'metadata.namespace=default,status.phase!=Failed',
      want: [
        { path: ['metadata', 'namespace'], value: 'default', negate: false },
        { path: ['status', 'phase'], value: 'Failed', negate: true },
      ],
    },
  ];
  for (const c of cases) it(`parses ${JSON.stringify(c.in)}`, () => assert.deepEqual(parseFieldSelector(c.in), c.want));

  for (const bad of ['spec.nodeName', 'spec.nodeName~node-1', '=node-1', 'spec/nodeName=x', 'a=b,c']) {
    it(`refuses ${JSON.stringify(bad)} with a 400`, () => {
      assert.throws(
        () => parseFieldSelector(bad),
        (err: unknown) => {
          assert.ok(err instanceof ApiError);
          checkApiError(err, {
            reason: 'BadRequest',
            code: 400,
            message: /^invalid field selector ".*": ".*" is not of the form field=value or field!=value$/,
          });
          return true;
        },
      );
    });
  }

  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: { nodeName: 'node-1', containers: [], priority: 5 },
    status: { phase: 'Running' },
  };
  const matches: { sel: string; want: boolean }[] = [
    { sel: 'spec.nodeName=node-1', want: true },
    { sel: 'spec.nodeName=node-2', want: false },
    { sel: 'spec.nodeName!=node-2', want: true },
    { sel: 'status.phase=Running,metadata.name=web', want: true },
    { sel: 'status.phase=Running,metadata.name=db', want: false },
    { sel: 'spec.priority=5', want: true },
    { sel: 'spec.schedulerName=', want: true },
    { sel: 'spec.schedulerName!=', want: false },
    { sel: 'spec.nodeName.deeper=', want: true },
    { sel: 'metadata.name=', want: false },
  ];
  for (const m of matches)
    it(`${m.sel} ${m.want ? 'matches' : 'does not match'} the pod`, () => assert.equal(fieldsMatch(parseFieldSelector(m.sel), p as KObject), m.want));
});

describe('controlplane/api/routes', () => {
  const cases: { path: string; want: Partial<Record<string, unknown>> | undefined; resource?: string }[] = [
    { path: '/healthz', want: { type: 'healthz' } },
    { path: '/readyz', want: { type: 'healthz' } },
    { path: '/livez', want: { type: 'healthz' } },
    { path: '/version', want: { type: 'version' } },
    { path: '/api', want: { type: 'discovery', path: '/api' } },
    { path: '/api/v1', want: { type: 'discovery', path: '/api/v1' } },
    { path: '/apis', want: { type: 'discovery', path: '/apis' } },
    { path: '/apis/apps/v1', want: { type: 'discovery', path: '/apis/apps/v1' } },
    { path: '/api/v1/namespaces', resource: 'namespaces', want: { type: 'resource', namespace: undefined, name: undefined } },
    { path: '/api/v1/namespaces/kube-system', resource: 'namespaces', want: { type: 'resource', namespace: undefined, name: 'kube-system' } },
    { path: '/api/v1/namespaces/team-a/status', resource: 'namespaces', want: { type: 'resource', name: 'team-a', subresource: 'status' } },
    { path: '/api/v1/pods', resource: 'pods', want: { type: 'resource', namespace: undefined, name: undefined, subresource: undefined } },
    { path: '/api/v1/namespaces/default/pods', resource: 'pods', want: { type: 'resource', namespace: 'default', name: undefined } },
    {
      path: '/api/v1/namespaces/default/pods/web-1',
      resource: 'pods',
      want: { type: 'resource', namespace: 'default', name: 'web-1', subresource: undefined },
    },
    {
      path: '/api/v1/namespaces/default/pods/web-1/log',
      resource: 'pods',
      want: { type: 'resource', namespace: 'default', name: 'web-1', subresource: 'log' },
    },
    { path: '/api/v1/namespaces/default/pods/web-1/status/', resource: 'pods', want: { type: 'resource', name: 'web-1', subresource: 'status' } },
    { path: '//api//v1/namespaces/default/pods', resource: 'pods', want: { type: 'resource', namespace: 'default' } },
    { path: '/api/v1/namespaces/default/pods/web%2D1', resource: 'pods', want: { type: 'resource', name: 'web-1' } },
    { path: '/api/v1/nodes/node-1/status', resource: 'nodes', want: { type: 'resource', namespace: undefined, name: 'node-1', subresource: 'status' } },
    { path: '/api/v1/namespaces/default/services/web', resource: 'services', want: { type: 'resource', name: 'web' } },
    { path: '/api/v1/namespaces/default/endpoints/web', resource: 'endpoints', want: { type: 'resource', name: 'web' } },
    { path: '/api/v1/namespaces/default/events', resource: 'events', want: { type: 'resource', namespace: 'default' } },
    { path: '/apis/apps/v1/deployments', resource: 'deployments', want: { type: 'resource', namespace: undefined } },
    {
      path: '/apis/apps/v1/namespaces/default/deployments/web/scale',
      resource: 'deployments',
      want: { type: 'resource', namespace: 'default', name: 'web', subresource: 'scale' },
    },
    { path: '/apis/apps/v1/namespaces/default/replicasets/web-abc', resource: 'replicasets', want: { type: 'resource', name: 'web-abc' } },
    { path: '/apis/chaos.kip.dev/v1alpha1/namespaces/default/networkchaos/cut', resource: 'networkchaos', want: { type: 'resource', name: 'cut' } },
    { path: '/apis/metrics.k8s.io/v1beta1/nodes', want: { type: 'metrics', plural: 'nodes', namespace: undefined, name: undefined } },
    { path: '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-1', want: { type: 'metrics', plural: 'pods', namespace: 'default', name: 'web-1' } },
    {
      path: '/api/v1/namespaces/default/services/https:web:443/proxy/a/b%20c/',
      resource: 'services',
      want: { type: 'resource', name: 'https:web:443', subresource: 'proxy', proxyPath: '/a/b%20c/' },
    },
    { path: '/api/v1/namespaces/default/pods/web-1:8080/proxy', resource: 'pods', want: { type: 'resource', subresource: 'proxy', proxyPath: '' } },
    { path: '/api/v1/namespaces/default/pods/web-1/proxy/', resource: 'pods', want: { type: 'resource', subresource: 'proxy', proxyPath: '/' } },
    { path: '/api/v1/namespaces/default/pods/web-1/status', resource: 'pods', want: { type: 'resource', subresource: 'status', proxyPath: undefined } },
    // Not routes:
    { path: '/', want: undefined },
    { path: '/nope', want: undefined },
    { path: '/healthz/more', want: undefined },
    { path: '/api/v2/pods', want: undefined },
    { path: '/api/v1/widgets', want: undefined },
    { path: '/apis/apps/v1/pods', want: undefined },
    { path: '/api/v1/deployments', want: undefined },
    { path: '/api/v1/namespaces/default/nodes', want: undefined },
    { path: '/api/v1/namespaces/default/pods/web-1/log/extra', want: undefined },
    { path: '/apis/apps/v1/namespaces', want: undefined },
    { path: '/api/v1/namespaces/%E0%A4%A/pods', want: undefined },
    { path: '/api/v1/namespaces/default/pods/%', want: undefined },
  ];
  for (const c of cases) {
    it(`${c.path} -> ${c.want ? `${String(c.want.type)}${c.resource ? ` ${c.resource}` : ''}` : 'no route'}`, () => {
      const got: Route | undefined = parseRoute(c.path);
      if (!c.want) return assert.equal(got, undefined);
      assert.ok(got, 'a route');
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual((got as unknown as Record<string, unknown>)[k], v, k);
      if (c.resource) {
        assert.equal(got.type, 'resource');
        assert.equal((got as { resource: { plural: string } }).resource.plural, c.resource);
      }
    });
  }
});

describe('controlplane/api/errors', () => {
  const codes: [ApiReason, number][] = [
    ['BadRequest', 400],
    ['Invalid', 422],
    ['NotFound', 404],
    ['AlreadyExists', 409],
    ['Conflict', 409],
    ['Gone', 410],
    ['Unauthorized', 401],
    ['MethodNotAllowed', 405],
    ['RequestEntityTooLarge', 413],
    ['ServiceUnavailable', 503],
    ['InternalError', 500],
  ];
  for (const [reason, code] of codes) it(`${reason} is HTTP ${code}`, () => assert.equal(new ApiError(reason, 'x').code, code));

  it('renders a Kubernetes Status', () => {
    const e = new ApiError('NotFound', 'pods "web" not found', { name: 'web', kind: 'pods' });
    assert.equal(e.name, 'ApiError');
    assert.deepEqual(e.toStatus(), {
      apiVersion: 'v1',
      kind: 'Status',
      metadata: {},
      status: 'Failure',
      message: 'pods "web" not found',
      reason: 'NotFound',
      code: 404,
      details: { name: 'web', kind: 'pods' },
    });
    assert.ok(!('details' in new ApiError('BadRequest', 'x').toStatus()), 'no empty details');
  });

  it('invalid() is a 400 with one cause per field', () => {
    const e = invalid('Deployment', 'web', [
      { field: 'spec.replicas', message: 'must be greater than or equal to 0' },
      { field: '', message: 'the body must be an object' },
    ]);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'Invalid');
    assert.equal(e.message, 'Deployment "web" is invalid: spec.replicas: must be greater than or equal to 0, the body must be an object');
    assert.deepEqual(e.toStatus().details, {
      name: 'web',
      kind: 'deployment',
      causes: [
        { field: 'spec.replicas', message: 'must be greater than or equal to 0', reason: 'FieldValueInvalid' },
        { field: '', message: 'the body must be an object', reason: 'FieldValueInvalid' },
      ],
    });
    assert.match(invalid('Pod', '', []).message, /^Pod "<unnamed>" is invalid/);
  });

  it('notFound names the resource and the object', () => {
    const e = notFound('deployments.apps', 'web');
    assert.equal(e.message, 'deployments.apps "web" not found');
    assert.equal(e.code, 404);
  });

  const fromStore: [StoreErrorCode, ApiReason, number, RegExp][] = [
    ['NotFound', 'NotFound', 404, /^pods "web" not found$/],
    ['AlreadyExists', 'AlreadyExists', 409, /^pods "web" already exists$/],
    ['Conflict', 'Conflict', 409, /^what the store said$/],
    ['Gone', 'Expired', 410, /^what the store said$/],
    ['Invalid', 'BadRequest', 400, /^what the store said$/],
  ];
  for (const [code, reason, http, message] of fromStore) {
    it(`a store ${code} is an API ${reason} (${http})`, () => {
      const err = new StoreError(code, 'what the store said');
      checkApiError(fromStoreError(err, 'pods', 'web'), { reason, code: http, message });
      checkApiError(toApiError(err, 'pods', 'web'), { reason, code: http, message });
    });
  }

  it('toApiError keeps an ApiError and makes anything else a 500', () => {
    const api = new ApiError('Conflict', 'x');
    assert.equal(toApiError(api), api);
    checkApiError(toApiError(new TypeError('boom')), { reason: 'InternalError', code: 500, message: /^internal error: boom$/ });
    checkApiError(toApiError('a string'), { reason: 'InternalError', code: 500, message: /^internal error: a string$/ });
  });

  it('a code override wins over the reason', () => {
    assert.equal(new ApiError('Invalid', 'x', undefined, 400).code, 400);
    assert.equal(new ApiError('Invalid', 'x', undefined, 400).toStatus().code, 400);
  });
});
