// The OpenAPI documents generated from the kind schemas, and fieldValidation on writes: what
// kubectl reads to validate, explain and learn that the server checks fields itself; and
// aggregated discovery.

import assert from 'node:assert/strict';
import type { Deployment } from '@kip/shared';
import { unknownFields, kindDefinition } from '@kip/shared';
import {
  AGGREGATED_DISCOVERY_TYPE,
  acceptsJson,
  OPENAPI_V2_PROTOBUF,
  openApiV2,
  openApiV2Protobuf,
  openApiV3,
  openApiV3Index,
  toOpenApi,
  wantsAggregated,
} from '@kip/controlplane';
import { deployment } from './fixtures.js';
import { isStatus, RestServer } from './rest-harness.js';

const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';

type Json = Record<string, any>;

describe('controlplane/api/openapi: the documents', () => {
  it('indexes every group-version kip serves, each with a hash that follows its content', () => {
    const index = openApiV3Index() as { paths: Record<string, { serverRelativeURL: string }> };
    assert.deepEqual(Object.keys(index.paths).sort(), [
      'api/v1',
      'apis/apps/v1',
      'apis/batch/v1',
      'apis/chaos.kip.dev/v1alpha1',
      'apis/coordination.k8s.io/v1',
      'apis/policy/v1',
      'apis/scheduling.k8s.io/v1',
      'apis/storage.k8s.io/v1',
    ]);
    assert.match(index.paths['apis/apps/v1']!.serverRelativeURL, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{64}$/);
    assert.equal(openApiV3('apis/nothing/v1'), undefined);
  });

  it('names schemas as Kubernetes does, marks them with their group-version-kind, and keeps the schema fields', () => {
    const doc = openApiV3('apis/apps/v1') as Json;
    assert.equal(doc.openapi, '3.0.0');
    const d = doc.components.schemas['io.k8s.api.apps.v1.Deployment'];
    assert.deepEqual(d['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    assert.equal(d.properties.spec.properties.replicas.type, 'integer');
    assert.deepEqual(d.properties.spec.required, ['selector', 'template']);
    assert.match(d.properties.spec.description, /desired state/);
    const core = openApiV3('api/v1') as Json;
    assert.deepEqual(core.components.schemas['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Pod' }]);
  });

  it('says on each PATCH that the server takes fieldValidation, which is what kubectl checks before relying on it', () => {
    const doc = openApiV3('apis/apps/v1') as Json;
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.ok(patch.parameters.some((p: Json) => p.name === 'fieldValidation' && p.in === 'query'));
    assert.equal(patch.requestBody.content['application/strategic-merge-patch+json'].schema.$ref, '#/components/schemas/io.k8s.api.apps.v1.Deployment');
    const nodes = (openApiV3('api/v1') as Json).paths['/api/v1/nodes/{name}'];
    assert.deepEqual(nodes.patch['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Node' });
  });

  it('writes schemas in the OpenAPI subset: maps as additionalProperties, literals as enums, IntOrString as Kubernetes does', () => {
    assert.deepEqual(toOpenApi({ type: 'object', patternProperties: { '^(.*)$': { type: 'string' } } }), {
      type: 'object',
      additionalProperties: { type: 'string' },
    });
    assert.deepEqual(toOpenApi({ const: 'v1', type: 'string' }), { enum: ['v1'], type: 'string' });
    assert.deepEqual(toOpenApi({ 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] }), {
      'x-kubernetes-int-or-string': true,
      type: 'string',
      format: 'int-or-string',
    });
    assert.deepEqual(toOpenApi({ anyOf: [{ type: 'string' }, { type: 'null' }] }), { type: 'string', nullable: true });
    const text = JSON.stringify(openApiV3('api/v1'));
    assert.ok(!text.includes('patternProperties') && !text.includes('"const"'));
  });

  it('serves v2 as Swagger 2.0 with definitions, and only JSON', () => {
    const v2 = openApiV2() as Json;
    assert.equal(v2.swagger, '2.0');
    assert.ok(v2.definitions['io.k8s.api.apps.v1.Deployment']);
    assert.ok(v2.definitions['dev.kip.chaos.v1alpha1.NodeChaos']);
    assert.equal(acceptsJson('application/com.github.proto-openapi.spec.v2@v1.0+protobuf'), false);
    assert.equal(acceptsJson('application/com.github.proto-openapi.spec.v2@v1.0+protobuf, application/json'), true);
    assert.equal(acceptsJson(undefined), true);
    assert.equal(acceptsJson('*/*'), true);
  });
});

/** Reads the length-delimited fields of one protobuf message: enough to look into the v2 document. */
function fields(buf: Buffer): [number, Buffer | number][] {
  const out: [number, Buffer | number][] = [];
  let i = 0;
  const varint = () => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++]!;
      n += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return n;
    }
  };
  while (i < buf.length) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 2) {
      const len = varint();
      out.push([tag >> 3, buf.subarray(i, i + len)]);
      i += len;
    } else if (wire === 1) {
      out.push([tag >> 3, buf.readDoubleLE(i)]);
      i += 8;
    } else out.push([tag >> 3, varint()]);
  }
  return out;
}

describe('controlplane/api/openapi: the v2 document in protobuf', () => {
  it('encodes the definitions as gnostic openapi_v2.Document, with their group-version-kind', () => {
    const doc = fields(openApiV2Protobuf());
    assert.equal(String(doc.find(([f]) => f === 1)![1]), '2.0');
    const defs = fields(doc.find(([f]) => f === 9)![1] as Buffer).map(([, named]) => fields(named as Buffer));
    const names = defs.map((d) => String(d.find(([f]) => f === 1)![1]));
    assert.ok(names.includes('io.k8s.api.apps.v1.Deployment') && names.includes('io.k8s.api.core.v1.Pod'));
    const deployment = fields(defs[names.indexOf('io.k8s.api.apps.v1.Deployment')]!.find(([f]) => f === 2)![1] as Buffer);
    // type (22) is object; the extension (31) is a NamedAny whose value's YAML is the GVK list.
    assert.equal(String(fields(deployment.find(([f]) => f === 22)![1] as Buffer)[0]![1]), 'object');
    const ext = fields(deployment.find(([f]) => f === 31)![1] as Buffer);
    assert.equal(String(ext[0]![1]), 'x-kubernetes-group-version-kind');
    assert.deepEqual(JSON.parse(String(fields(ext[1]![1] as Buffer)[0]![1])), [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
  });
});

describe('shared/validation: unknownFields', () => {
  const schema = kindDefinition('Deployment')!.schema;

  it('finds fields the schema does not declare, at any depth, and nothing in a good object', () => {
    assert.deepEqual(unknownFields(schema, deployment('web')), []);
    const d = deployment('web') as Json;
    d.spec.foo = 1;
    d.spec.template.spec.containers[0].bar = 'x';
    d.top = true;
    assert.deepEqual(unknownFields(schema, d).sort(), ['spec.foo', 'spec.template.spec.containers[0].bar', 'top']);
  });

  it('leaves maps, server-set status and patch directives alone', () => {
    const d = deployment('web') as Json;
    d.metadata.labels = { any: 'key' };
    d.status = { whatever: 1 };
    d.spec.$patch = 'replace';
    d.spec['$setElementOrder/containers'] = [{ name: 'web' }];
    assert.deepEqual(unknownFields(schema, d), []);
    const chaos = { apiVersion: 'chaos.kip.dev/v1alpha1', kind: 'NodeChaos', metadata: { name: 'c' }, spec: { anything: 1 } };
    assert.deepEqual(unknownFields(kindDefinition('NodeChaos')!.schema, chaos), []);
  });
});

describe('controlplane/api/rest: openapi and fieldValidation', function () {
  this.timeout(10_000);
  let api: RestServer;
  beforeEach(async () => {
    api = await new RestServer().start();
  });
  afterEach(async () => {
    await api.stop();
  });

  const withFoo = (name: string) => {
    const d = deployment(name) as Json;
    d.spec.foo = 'bar';
    return d;
  };

  it('serves the documents, v2 in protobuf when asked, and 406 to a client that takes only a type not served', async () => {
    const index = await api.call('GET', '/openapi/v3');
    assert.equal(index.status, 200);
    const url = index.body.paths['apis/apps/v1'].serverRelativeURL as string;
    const doc = await api.call('GET', url, undefined, { Accept: 'application/json' });
    assert.ok(doc.body.components.schemas['io.k8s.api.apps.v1.Deployment']);
    assert.equal((await api.call('GET', '/openapi/v2')).body.swagger, '2.0');
    const proto = await api.call('GET', '/openapi/v2', undefined, { Accept: OPENAPI_V2_PROTOBUF });
    assert.equal(proto.status, 200);
    assert.equal(proto.headers.get('content-type'), 'application/octet-stream');
    isStatus(await api.call('GET', '/openapi/v3', undefined, { Accept: 'application/x-protobuf' }), 406, 'NotAcceptable');
    isStatus(await api.call('GET', '/openapi/v3/apis/nothing/v1'), 404, 'NotFound');
  });

  it('answers aggregated discovery when asked as kubectl asks, and the legacy lists otherwise', async () => {
    const accept = `${AGGREGATED_DISCOVERY_TYPE},application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json`;
    const apis = await api.call('GET', '/apis', undefined, { Accept: accept });
    assert.equal(apis.status, 200);
    assert.equal(apis.headers.get('content-type'), AGGREGATED_DISCOVERY_TYPE);
    assert.equal(apis.body.kind, 'APIGroupDiscoveryList');
    const apps = apis.body.items.find((g: Json) => g.metadata.name === 'apps');
    const deploys = apps.versions[0].resources.find((r: Json) => r.resource === 'deployments');
    assert.deepEqual(deploys.responseKind, { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.equal(deploys.scope, 'Namespaced');
    assert.deepEqual(deploys.categories, ['all']);
    assert.deepEqual(
      deploys.subresources.map((s: Json) => s.subresource),
      ['status', 'scale'],
    );
    const core = await api.call('GET', '/api', undefined, { Accept: accept });
    assert.equal(core.body.items.length, 1);
    assert.deepEqual(core.body.items[0].metadata, {});
    const nodes = core.body.items[0].versions[0].resources.find((r: Json) => r.resource === 'nodes');
    assert.equal(nodes.scope, 'Cluster');
    const legacy = await api.call('GET', '/apis', undefined, { Accept: 'application/json' });
    assert.equal(legacy.headers.get('content-type'), 'application/json');
    assert.equal(legacy.body.kind, 'APIGroupList');
    assert.equal(wantsAggregated('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList'), false);
  });

  it('Strict refuses unknown fields on create, update and patch, naming each', async () => {
    isStatus(await api.call('POST', `${DEPLOYS}?fieldValidation=Strict`, withFoo('a')), 400, 'BadRequest', /^\.spec\.foo: field not declared in schema$/);
    assert.equal((await api.call('POST', DEPLOYS, deployment('a'))).status, 201);
    const current = (await api.call<Deployment>('GET', `${DEPLOYS}/a`)).body as Json;
    current.spec.foo = 1;
    isStatus(await api.call('PUT', `${DEPLOYS}/a?fieldValidation=Strict`, current), 400, 'BadRequest', /\.spec\.foo: field not declared/);
    isStatus(
      await api.call('PATCH', `${DEPLOYS}/a?fieldValidation=Strict`, { spec: { foo: 1, replicas: 3 } }, { 'Content-Type': 'application/merge-patch+json' }),
      400,
      'BadRequest',
      /\.spec\.foo: field not declared/,
    );
    const ok = await api.call('PATCH', `${DEPLOYS}/a?fieldValidation=Strict`, { spec: { replicas: 3 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(ok.status, 200);
  });

  it('Warn writes and names the unknown fields in Warning headers; Ignore and no parameter say nothing', async () => {
    const warned = await api.call('POST', `${DEPLOYS}?fieldValidation=Warn`, withFoo('w'));
    assert.equal(warned.status, 201);
    assert.equal(warned.headers.get('warning'), '299 - "unknown field \\"spec.foo\\""');
    for (const q of ['?fieldValidation=Ignore', '']) {
      const res = await api.call('POST', `${DEPLOYS}${q}`, withFoo(`i${q.length}`));
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('warning'), null);
    }
    isStatus(await api.call('POST', `${DEPLOYS}?fieldValidation=Loud`, deployment('x')), 400, 'BadRequest', /Unsupported value: "Loud"/);
  });
});
