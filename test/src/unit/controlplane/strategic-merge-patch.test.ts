// Strategic merge patch on the kinds' own schemas: lists merged by their merge keys, the
// directives kubectl sends, null, and the errors a malformed patch gets.

import assert from 'node:assert/strict';
import { kindDefinition, type Deployment } from '@kip/shared';
import { applyStrategicMergePatch, deepFreeze, openApiV3, type SchemaNode } from '@kip/controlplane';
import { throwsApi } from './api-assert.js';
import { deployment } from './fixtures.js';

const schema = kindDefinition('Deployment')!.schema as unknown as SchemaNode;

function web(): Deployment {
  const d = deployment('web');
  d.spec.template.spec.containers = [
    {
      name: 'main',
      image: 'sleep',
      command: ['sleep', '3600'],
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
      ports: [{ containerPort: 8080 }, { containerPort: 9090 }],
    },
    { name: 'side', image: 'pause' },
  ];
  d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
  d.metadata.finalizers = ['a.example/one', 'a.example/two'];
  return deepFreeze(d);
}

function patched(patch: unknown): Deployment {
  return applyStrategicMergePatch(web(), patch, schema) as Deployment;
}

const containers = (spec: unknown) => ({ spec: { template: { spec: spec } } });

describe('controlplane/api/strategic-merge-patch', () => {
  it('merges containers by name: the one named changes, the other is kept as it was', () => {
    const d = patched(containers({ containers: [{ name: 'main', image: 'pause' }] }));
    const [main, side] = d.spec.template.spec.containers;
    assert.equal(main!.image, 'pause');
    assert.deepEqual(main!.command, ['sleep', '3600'], 'fields the patch does not name stay');
    assert.deepEqual(side, { name: 'side', image: 'pause' });
  });

  it('adds an item whose key is new, at the end', () => {
    const d = patched(containers({ containers: [{ name: 'third', image: 'x' }] }));
    assert.deepEqual(
      d.spec.template.spec.containers.map((c) => c.name),
      ['main', 'side', 'third'],
    );
  });

  it('deletes list items with $patch: delete, env by name and ports by containerPort', () => {
    const d = patched(
      containers({
        containers: [{ name: 'main', env: [{ $patch: 'delete', name: 'B' }], ports: [{ $patch: 'delete', containerPort: 9090 }] }],
      }),
    );
    const main = d.spec.template.spec.containers[0]!;
    assert.deepEqual(main.env, [{ name: 'A', value: '1' }]);
    assert.deepEqual(main.ports, [{ containerPort: 8080 }]);
  });

  it('orders a list by $setElementOrder, as kubectl sends it with every list it patches', () => {
    const d = patched(containers({ '$setElementOrder/containers': [{ name: 'side' }, { name: 'main' }], containers: [{ name: 'main', image: 'new' }] }));
    assert.deepEqual(
      d.spec.template.spec.containers.map((c) => `${c.name}:${c.image}`),
      ['side:pause', 'main:new'],
    );
    assert.ok(!('$setElementOrder/containers' in d.spec.template.spec), 'a directive is not stored as a field');
  });

  it('deletes a key given null, and a map given $patch: delete', () => {
    const d = patched({ spec: { strategy: { rollingUpdate: null } }, metadata: { labels: { $patch: 'delete' } } });
    assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate' });
    assert.equal(d.metadata.labels, undefined);
  });

  it('replaces a map with $patch: replace, and a whole list with a {$patch: replace} item', () => {
    const map = patched({ metadata: { labels: { $patch: 'replace', only: 'this' } } });
    assert.deepEqual(map.metadata.labels, { only: 'this' });
    const list = patched(containers({ containers: [{ $patch: 'replace' }, { name: 'solo', image: 'x' }] }));
    assert.deepEqual(list.spec.template.spec.containers, [{ name: 'solo', image: 'x' }]);
  });

  it('clears the keys $retainKeys does not name (a strategy turned Recreate loses its rollingUpdate)', () => {
    const d = patched({ spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
    assert.deepEqual(d.spec.strategy, { type: 'Recreate' });
  });

  it('merges a set of strings (finalizers) and removes from it with $deleteFromPrimitiveList', () => {
    const added = patched({ metadata: { finalizers: ['a.example/three', 'a.example/one'] } });
    assert.deepEqual(added.metadata.finalizers, ['a.example/one', 'a.example/two', 'a.example/three']);
    const removed = patched({ metadata: { '$deleteFromPrimitiveList/finalizers': ['a.example/one'] } });
    assert.deepEqual(removed.metadata.finalizers, ['a.example/two']);
  });

  it('replaces a list without a merge key whole (command)', () => {
    const d = patched(containers({ containers: [{ name: 'main', command: ['true'] }] }));
    assert.deepEqual(d.spec.template.spec.containers[0]!.command, ['true']);
  });

  it('leaves the original as it was (it may be the stored, frozen object)', () => {
    const original = web();
    applyStrategicMergePatch(original, containers({ containers: [{ name: 'main', image: 'x' }] }), schema);
    assert.equal(original.spec.template.spec.containers[0]!.image, 'sleep');
  });

  it('refuses an item without its merge key, an unknown directive, and a patch that is not an object, with a 400', () => {
    throwsApi(() => patched(containers({ containers: [{ image: 'x' }] })), {
      reason: 'BadRequest',
      code: 400,
      message: /does not contain declared merge key: name/,
    });
    throwsApi(() => patched({ spec: { $patch: 'explode' } }), { reason: 'BadRequest', code: 400, message: /Unknown patch type: "explode"/ });
    throwsApi(() => applyStrategicMergePatch(web(), [1], schema), { reason: 'BadRequest', code: 400 });
  });

  it('serves the merge keys in the OpenAPI documents kubectl computes its patches from', () => {
    const doc = openApiV3('apis/apps/v1') as { components: { schemas: Record<string, any> } };
    const podSpec = doc.components.schemas['io.k8s.api.apps.v1.Deployment'].properties.spec.properties.template.properties.spec;
    const containers = podSpec.properties.containers;
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
    assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
    assert.equal(containers.items.properties.ports['x-kubernetes-patch-merge-key'], 'containerPort');
    assert.equal(containers.items.properties.env['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(podSpec.properties.tolerations['x-kubernetes-patch-merge-key'], undefined, 'tolerations are replaced whole, as in Kubernetes');
  });

  it('treats a "__proto__" key as data', () => {
    const d = applyStrategicMergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}'), schema) as Record<string, unknown>;
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(d), ['__proto__']);
  });
});
