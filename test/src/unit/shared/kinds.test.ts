import assert from 'node:assert/strict';
import {
  checkSchema,
  FieldErrors,
  kindDefinition,
  KINDS,
  openApiName,
  openApiSchemas,
  RESOURCES,
  resolveKind,
  resolveResource,
  validateObject,
} from '@kip/shared';
import { withCheck } from '@kip/shared';
import { goodPod } from './fixtures.js';

type Schema = Parameters<typeof checkSchema>[0];

function check(schema: object, value: unknown): [string, string][] {
  const errors = new FieldErrors();
  checkSchema(schema as Schema, value, '', errors);
  return errors.list.map((e) => [e.field, e.message]);
}

describe('shared/kinds: the table', () => {
  it('has each kind once, and the resources are the table', () => {
    const kinds = KINDS.map((k) => k.resource.kind);
    assert.equal(new Set(kinds).size, kinds.length);
    assert.deepEqual(
      RESOURCES.map((r) => r.kind),
      kinds,
    );
  });

  it('finds a kind by its name, plural, singular or short name', () => {
    for (const name of ['Pod', 'pods', 'pod', 'po', 'pods.v1']) assert.equal(resolveKind(name)?.resource.kind, 'Pod', name);
    assert.equal(resolveKind('deploy')?.resource.group, 'apps');
    assert.equal(resolveResource('networkchaos')?.kind, 'NetworkChaos');
    assert.equal(resolveKind('widgets'), undefined);
    assert.equal(kindDefinition('Node')?.resource.namespaced, false);
  });

  it('validates through the kind schema, with the checks attached', () => {
    const pod = goodPod();
    (pod.spec as { containers: { name: string }[] }).containers[1]!.name = 'web';
    assert.deepEqual(validateObject(pod), [{ field: 'spec.containers[1].name', message: 'Duplicate value: "web"' }]);
  });
});

describe('shared/kinds: openApiSchemas', () => {
  it('lists every kind as plain JSON Schema, named as Kubernetes names them', () => {
    const schemas = openApiSchemas();
    assert.deepEqual(Object.keys(schemas).sort(), KINDS.map((k) => openApiName(k.resource)).sort());
    assert.ok(schemas['io.k8s.api.apps.v1.Deployment']);
    assert.ok(schemas['dev.kip.chaos.v1alpha1.NodeChaos']);
    const pod = schemas['io.k8s.api.core.v1.Pod'] as unknown as {
      properties: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
      'x-kubernetes-group-version-kind': unknown;
    };
    assert.deepEqual(pod['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Pod' }]);
    assert.deepEqual(pod.properties.spec!.required, ['containers']);
    assert.equal((pod.properties.spec!.properties!.restartPolicy as { enum: string[] }).enum.join(','), 'Always,OnFailure,Never');
    // What goes out is data only: it survives a JSON round trip unchanged.
    assert.deepEqual(JSON.parse(JSON.stringify(schemas)), schemas);
    assert.equal(Object.getOwnPropertySymbols(pod).length, 0);
  });
});

describe('shared/validation: checkSchema', () => {
  // Plain JSON Schema, as TypeBox writes it and OpenAPI serves it.
  const schema = {
    type: 'object',
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1 },
      count: { type: 'integer', minimum: 1, maximum: 3 },
      mode: { type: 'string', enum: ['a', 'b'] },
      flags: { type: 'array', items: { type: 'boolean' } },
      labels: { type: 'object', patternProperties: { '^(.*)$': { type: 'string' } } },
      port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      status: { type: 'object', readOnly: true, required: ['phase'], properties: { phase: { type: 'string' } } },
    },
  };

  it('passes a good value, and leaves unknown fields alone', () => {
    assert.deepEqual(check(schema, { name: 'x', count: 2, mode: 'a', flags: [true], labels: { k: 'v' }, port: 'http', extra: 1 }), []);
  });

  it('reports every error, in field order, in the API server words', () => {
    assert.deepEqual(check(schema, { count: 7, mode: 'c', flags: [1, null], labels: { k: 3 } }), [
      ['name', 'Required value'],
      ['count', 'must be less than or equal to 3'],
      ['mode', 'Unsupported value: "c": supported values: "a", "b"'],
      ['flags[0]', 'must be true or false, not number 1'],
      ['flags[1]', 'Required value'],
      ['labels.k', 'must be a string, not number 3'],
    ]);
  });

  it('takes an empty required string as missing, and checks the type of each', () => {
    assert.deepEqual(check(schema, { name: '', count: 1.5 }), [
      ['name', 'Required value'],
      ['count', 'must be an integer, not number 1.5'],
    ]);
    assert.deepEqual(check(schema, 'x'), [['', 'must be an object, not string "x"']]);
  });

  it('leaves server-set fields and int-or-string fields to others', () => {
    assert.deepEqual(check(schema, { name: 'x', status: 'whatever', port: true }), []);
  });

  it('runs a check after the fields of its node, and only when the node has the right type', () => {
    const seen: unknown[] = [];
    const inner = { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } as unknown as Schema;
    const s = {
      type: 'object',
      properties: {
        inner: withCheck(inner, (v: unknown, field, errors) => {
          seen.push(v);
          errors.invalid(field, undefined, 'checked');
        }),
      },
    };
    assert.deepEqual(check(s, { inner: { n: 'x' } }), [
      ['inner.n', 'must be an integer, not string "x"'],
      ['inner', 'Invalid value: checked'],
    ]);
    assert.deepEqual(check(s, { inner: 3 }), [['inner', 'must be an object, not number 3']]);
    assert.equal(seen.length, 1);
  });
});
