import assert from 'node:assert/strict';
import type { Deployment, Event, Node, Pod } from '@kip/shared';
import { applyMergePatch } from '@kip/controlplane';
import { deepFreeze } from '@kip/controlplane';
import { throwsApi } from './api-assert.js';
import { deployment, makeEnv, node, pod, type Env } from './fixtures.js';

describe('controlplane/api/merge-patch', () => {
  // The examples of RFC 7386, appendix A, in order.
  const rfc: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  rfc.forEach(([target, patch, want], i) => {
    it(`RFC 7386 example ${i + 1}: ${JSON.stringify(target)} + ${JSON.stringify(patch)} = ${JSON.stringify(want)}`, () => {
      assert.deepEqual(applyMergePatch(structuredClone(target), patch), want);
    });
  });

  it('reads strategic merge patch’s $patch: replace: that object replaces the target’s whole', () => {
    const target = { spec: { template: { metadata: { labels: { a: '1' }, annotations: { rev: '2' } }, spec: { x: 1 } }, keep: true } };
    const patch = { spec: { template: { $patch: 'replace', metadata: { labels: { a: '1' } }, spec: { y: 2 } } } };
    assert.deepEqual(applyMergePatch(target, patch), { spec: { template: { metadata: { labels: { a: '1' } }, spec: { y: 2 } }, keep: true } });
  });

  it('changes neither the target nor the patch, even when they are frozen', () => {
    const target = deepFreeze({ metadata: { labels: { a: '1', b: '2' } }, spec: { list: [1, 2] } });
    const patch = deepFreeze({ metadata: { labels: { a: null, c: '3' } }, spec: { list: [3] } });
    const out = applyMergePatch(target, patch) as { metadata: { labels: Record<string, string> }; spec: { list: number[] } };
    assert.deepEqual(out, { metadata: { labels: { b: '2', c: '3' } }, spec: { list: [3] } });
    assert.deepEqual(target, { metadata: { labels: { a: '1', b: '2' } }, spec: { list: [1, 2] } });
    (out.spec.list as number[]).push(4);
    (out.metadata.labels as Record<string, string>).d = '4';
    assert.deepEqual(patch, { metadata: { labels: { a: null, c: '3' } }, spec: { list: [3] } }, 'the result shares nothing mutable with the patch');
  });

  it('treats a "__proto__" key as data, never as the prototype', () => {
    const patch = JSON.parse('{"spec": {"__proto__": {"containers": ["injected"]}}}') as unknown;
    const out = applyMergePatch({ spec: { replicas: 1 } }, patch) as { spec: Record<string, unknown> };
    assert.equal(Object.getPrototypeOf(out.spec), Object.prototype);
    assert.equal(out.spec.containers, undefined, 'nothing is inherited');
    assert.deepEqual(Object.getOwnPropertyDescriptor(out.spec, '__proto__')?.value, { containers: ['injected'] });
    assert.equal(({} as Record<string, unknown>).containers, undefined, 'no global pollution');
  });
});

describe('controlplane/api/registry: patch', () => {
  let env: Env;
  beforeEach(() => {
    env = makeEnv();
  });

  it('merges labels in and out, applied to the current version', () => {
    env.registry.create(pod('web', { labels: { app: 'web', old: 'x' } }));
    const out = env.registry.patch<Pod>('Pod', 'default', 'web', { metadata: { labels: { old: null, new: 'y' } } });
    assert.deepEqual(out.metadata.labels, { app: 'web', new: 'y' });
    assert.equal(out.metadata.resourceVersion, '2');
  });

  it('patches the frozen stored object without touching it', () => {
    const created = env.registry.create<Node>(node('n1'));
    assert.ok(Object.isFrozen(created.spec));
    const out = env.registry.patch<Node>('Node', undefined, 'n1', { spec: { unschedulable: true } });
    assert.equal(out.spec.unschedulable, true);
    assert.equal(created.spec.unschedulable, undefined);
  });

  it('refuses a patch at a stale resourceVersion: 409', () => {
    env.registry.create(pod('web'));
    env.registry.patch('Pod', 'default', 'web', { metadata: { labels: { a: 'b' } } });
    throwsApi(() => env.registry.patch('Pod', 'default', 'web', { metadata: { resourceVersion: '1', labels: { a: 'c' } } }), { reason: 'Conflict', code: 409 });
  });

  it('bumps generation for a spec patch only', () => {
    env.registry.create(deployment('web'));
    assert.equal(env.registry.patch<Deployment>('Deployment', 'default', 'web', { metadata: { annotations: { a: 'b' } } }).metadata.generation, 1);
    assert.equal(env.registry.patch<Deployment>('Deployment', 'default', 'web', { spec: { replicas: 7 } }).metadata.generation, 2);
  });

  it('a status-only patch writes the status subresource', () => {
    env.registry.create(deployment('web'));
    const out = env.registry.patch<Deployment>('Deployment', 'default', 'web', { status: { replicas: 3, readyReplicas: 1 } });
    assert.deepEqual(out.status, { replicas: 3, readyReplicas: 1 });
    assert.equal(out.metadata.generation, 1);
  });

  it('ignores the status in a patch that also changes the spec', () => {
    env.registry.create(deployment('web'));
    const out = env.registry.patch<Deployment>('Deployment', 'default', 'web', { spec: { replicas: 4 }, status: { replicas: 99 } });
    assert.equal(out.spec.replicas, 4);
    assert.equal(out.status, undefined);
  });

  it('patches the status of a kind without a subresource as any field', () => {
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'p' },
      reason: 'A',
      message: 'm',
      type: 'Normal',
    };
    env.registry.create(ev);
    assert.equal(env.registry.patch<Event>('Event', 'default', 'e', { count: 3 }).count, 3);
  });

  it('validates the result and names the field', () => {
    env.registry.create(deployment('web'));
    throwsApi(() => env.registry.patch('Deployment', 'default', 'web', { spec: { replicas: -1 } }), {
      reason: 'Invalid',
      code: 400,
      causes: [['spec.replicas', /must be greater than or equal to 0/]],
    });
    throwsApi(() => env.registry.patch('Deployment', 'default', 'web', { spec: { template: { spec: { containers: null } } } }), {
      reason: 'Invalid',
      code: 400,
      causes: [['spec.template.spec.containers', /^Required value$/]],
    });
  });

  it('cannot smuggle a field past validation through "__proto__"', () => {
    env.registry.create(deployment('web'));
    const patch = JSON.parse('{"spec":{"template":{"spec":{"containers":null,"__proto__":{"containers":[{"name":"x","image":"pause"}]}}}}}') as unknown;
    throwsApi(() => env.registry.patch('Deployment', 'default', 'web', patch), {
      reason: 'Invalid',
      code: 400,
      causes: [['spec.template.spec.containers', /^Required value$/]],
    });
    assert.equal(env.store.get<Deployment>('Deployment', 'default', 'web')!.spec.template.spec.containers.length, 1);
  });

  it('keeps pod specs immutable through patches too', () => {
    env.registry.create(pod('web'));
    throwsApi(() => env.registry.patch('Pod', 'default', 'web', { spec: { restartPolicy: 'Never' } }), {
      reason: 'Invalid',
      code: 400,
      causes: [['spec', /^Forbidden/]],
    });
    assert.equal(
      env.registry.patch<Pod>('Pod', 'default', 'web', { spec: { containers: [{ name: 'main', image: 'http-echo' }] } }).spec.containers[0]!.image,
      'http-echo',
    );
  });

  it('refuses a patch that is not an object: 400', () => {
    env.registry.create(pod('web'));
    for (const p of [null, [], 'x', 3])
      throwsApi(() => env.registry.patch('Pod', 'default', 'web', p), { reason: 'BadRequest', code: 400, message: /^a merge patch must be a JSON object$/ });
  });

  it('refuses a patch of something missing: 404', () => {
    throwsApi(() => env.registry.patch('Pod', 'default', 'ghost', {}), { reason: 'NotFound', code: 404, message: /^pods "ghost" not found$/ });
  });
});
