// PATCH by content type over HTTP, server-side apply's 409, dryRun and fieldManager on writes:
// what kubectl sends for apply, patch, diff and --dry-run=server, and the Status it gets back.

import assert from 'node:assert/strict';
import type { Deployment, Status } from '@kip/shared';
import { deployment, pod } from './fixtures.js';
import { isStatus, RestServer } from './rest-harness.js';

const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';
const type = (t: string) => ({ 'Content-Type': t });

describe('controlplane/api/rest: patches, apply and dry runs', function () {
  this.timeout(10_000);
  let api: RestServer;
  beforeEach(async () => {
    api = await new RestServer().start();
  });
  afterEach(async () => {
    await api.stop();
  });

  it('reads the patch type from the Content-Type: strategic, JSON patch, merge; any other is a 415', async () => {
    await api.call('POST', DEPLOYS, deployment('web'));
    const smp = await api.call<Deployment>(
      'PATCH',
      `${DEPLOYS}/web`,
      { spec: { template: { spec: { containers: [{ name: 'side', image: 'x' }] } } } },
      type('application/strategic-merge-patch+json'),
    );
    assert.equal(smp.status, 200, smp.text);
    assert.deepEqual(
      smp.body.spec.template.spec.containers.map((c) => c.name),
      ['main', 'side'],
    );
    const json = await api.call<Deployment>(
      'PATCH',
      `${DEPLOYS}/web`,
      [{ op: 'remove', path: '/spec/template/spec/containers/1' }],
      type('application/json-patch+json'),
    );
    assert.equal(json.status, 200, json.text);
    assert.equal(json.body.spec.template.spec.containers.length, 1);
    const failed = await api.call('PATCH', `${DEPLOYS}/web`, [{ op: 'test', path: '/spec/replicas', value: 9 }], type('application/json-patch+json'));
    isStatus(failed, 422, 'Invalid', /test failed/);
    isStatus(await api.call('PATCH', `${DEPLOYS}/web`, 'x', type('text/plain')), 415, 'UnsupportedMediaType', /application\/apply-patch\+yaml/);
    isStatus(await api.call('PATCH', `${DEPLOYS}/web?force=true`, { spec: {} }, type('application/merge-patch+json')), 422, 'Invalid', /force: Forbidden/);
  });

  it('applies server-side from YAML, records managers, and answers a conflict with a 409 naming the field', async () => {
    const yaml = (replicas: number) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: main, image: pause}]\n`;
    const created = await api.call<Deployment>('PATCH', `${DEPLOYS}/web?fieldManager=alice`, yaml(2), type('application/apply-patch+yaml'));
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.metadata.managedFields?.[0]?.manager, 'alice');
    const conflict = await api.call<Status>('PATCH', `${DEPLOYS}/web?fieldManager=bob`, yaml(3), type('application/apply-patch+yaml'));
    const s = isStatus(conflict, 409, 'Conflict', /^Apply failed with 1 conflict: conflict with "alice" using apps\/v1: \.spec\.replicas$/);
    assert.deepEqual(s.details?.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "alice" using apps/v1', field: '.spec.replicas' }]);
    const forced = await api.call<Deployment>('PATCH', `${DEPLOYS}/web?fieldManager=bob&force=true`, yaml(3), type('application/apply-patch+yaml'));
    assert.equal(forced.status, 200);
    assert.equal(forced.body.spec.replicas, 3);
    isStatus(await api.call('PATCH', `${DEPLOYS}/web`, yaml(3), type('application/apply-patch+yaml')), 422, 'Invalid', /fieldManager: Required value/);
    // A plain write is recorded under the user agent's name when it names no manager.
    const scaled = await api.call<Deployment>('PATCH', `${DEPLOYS}/web`, { spec: { replicas: 1 } }, type('application/merge-patch+json'));
    assert.ok(scaled.body.metadata.managedFields?.some((m) => m.manager === 'kip-test' && m.operation === 'Update'));
  });

  it('dryRun=All writes nothing and answers as the write would; another value is a 400', async () => {
    const created = await api.call<Deployment>('POST', `${DEPLOYS}?dryRun=All`, deployment('web'));
    assert.equal(created.status, 201);
    assert.equal(created.body.metadata.name, 'web');
    assert.equal(api.store.resourceVersion(), '0');
    isStatus(await api.call('GET', `${DEPLOYS}/web`), 404, 'NotFound');
    await api.call('POST', DEPLOYS, deployment('web'));
    const rv = api.store.resourceVersion();
    const patched = await api.call<Deployment>('PATCH', `${DEPLOYS}/web?dryRun=All`, { spec: { replicas: 7 } }, type('application/merge-patch+json'));
    assert.equal(patched.body.spec.replicas, 7);
    const deleted = await api.call('DELETE', `${DEPLOYS}/web?dryRun=All`);
    assert.equal(deleted.status, 200);
    assert.equal(api.store.resourceVersion(), rv);
    assert.equal((await api.call<Deployment>('GET', `${DEPLOYS}/web`)).body.spec.replicas, 2);
    isStatus(
      await api.call('POST', `${DEPLOYS}?dryRun=Some`, deployment('x')),
      400,
      'BadRequest',
      /dryRun: Unsupported value: "Some": supported values: "All"/,
    );
    // The subresources too (kubectl scale and drain with --dry-run=server), and DeleteOptions.dryRun in a body (kubectl delete).
    const scaled = await api.call('PATCH', `${DEPLOYS}/web/scale?dryRun=All`, { spec: { replicas: 5 } }, type('application/merge-patch+json'));
    assert.equal(scaled.body.spec.replicas, 5);
    await api.call('POST', '/api/v1/namespaces/default/pods', pod('p'));
    const podRv = api.store.resourceVersion();
    const evicted = await api.call('POST', '/api/v1/namespaces/default/pods/p/eviction', {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'p' },
      deleteOptions: { dryRun: ['All'] },
    });
    assert.equal(evicted.status, 201, evicted.text);
    assert.equal((await api.call('DELETE', '/api/v1/namespaces/default/pods/p', { kind: 'DeleteOptions', dryRun: ['All'] })).status, 200);
    assert.equal(api.store.resourceVersion(), podRv);
    assert.equal((await api.call<Deployment>('GET', `${DEPLOYS}/web`)).body.spec.replicas, 2);
    assert.equal((await api.call('GET', '/api/v1/namespaces/default/pods/p')).status, 200);
  });
});
