// The DaemonSet controller's reconcile against a store preloaded in memory: what it writes for
// nodes that come, change and go, and for a template change.

import assert from 'node:assert/strict';
import type { ControllerRevision, DaemonSet, Node, Pod } from '@kip/shared';
import { DaemonSetController } from '@kip/controlplane';
import { bind, create, get, makeEnv, markReady, messages, newNode, NS, pods, type Env } from './fixtures.js';

const KEY = `${NS}/agent`;

function newDaemonSet(strategy: DaemonSet['spec']['updateStrategy'] = undefined): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: NS },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'main', image: 'pause' }] } },
      ...(strategy ? { updateStrategy: strategy } : {}),
    },
  };
}

function setup(nodes: string[], strategy?: DaemonSet['spec']['updateStrategy']): { env: Env; dsc: DaemonSetController; ds: DaemonSet } {
  const env = makeEnv({ nodeCanTerminate: () => false });
  for (const n of nodes) create(env, newNode(n));
  const ds = create(env, newDaemonSet(strategy));
  return { env, dsc: new DaemonSetController(env.deps), ds };
}

/** Binds every unbound pod where its affinity pins it and marks it Ready, as scheduler and kubelet would. */
function runAll(env: Env): void {
  for (const p of pods(env)) {
    if (p.metadata.deletionTimestamp) continue;
    const target = p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchFields?.[0]?.values?.[0];
    if (!p.spec.nodeName && target) bind(env, p, target);
    if (p.status?.conditions?.[0]?.status !== 'True') markReady(env, p, 60_000);
  }
}

const nodesOf = (env: Env) =>
  pods(env).map(
    (p) =>
      p.spec.nodeName ?? p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchFields?.[0]?.values?.[0],
  );

describe('controllers/daemonset', () => {
  it('creates one pod per node, pinned by node affinity, owned, hashed, with the daemon tolerations and events', () => {
    const { env, dsc, ds } = setup(['n1', 'n2', 'n3']);
    dsc.reconcile(KEY);
    const created = pods(env);
    assert.deepEqual([...nodesOf(env)].sort(), ['n1', 'n2', 'n3']);
    for (const p of created) {
      assert.equal(p.spec.nodeName, undefined, 'the scheduler binds it');
      assert.equal(p.metadata.ownerReferences?.[0]?.uid, ds.metadata.uid);
      assert.match(p.metadata.labels?.['controller-revision-hash'] ?? '', /^[bcdfghjklmnpqrstvwxz2456789]+$/);
      assert.ok(p.spec.tolerations?.some((t) => t.key === 'node.kubernetes.io/not-ready' && t.effect === 'NoExecute'));
    }
    assert.deepEqual(messages(env, 'SuccessfulCreate').sort(), created.map((p) => `Created pod: ${p.metadata.name}`).sort());
    assert.deepEqual(get<DaemonSet>(env, 'DaemonSet', 'agent')?.status, {
      currentNumberScheduled: 3,
      numberMisscheduled: 0,
      desiredNumberScheduled: 3,
      numberReady: 0,
      observedGeneration: 1,
      updatedNumberScheduled: 3,
      numberAvailable: 0,
      numberUnavailable: 3,
    });
    const rv = env.store.resourceVersion();
    dsc.reconcile(KEY);
    assert.equal(env.store.resourceVersion(), rv, 'a second reconcile writes nothing');
  });

  it('follows nodes: a node joining gets a pod, a node tainted NoExecute or deleted loses its own', () => {
    const { env, dsc } = setup(['n1', 'n2']);
    dsc.reconcile(KEY);
    runAll(env);
    create(env, newNode('n3'));
    dsc.reconcile(KEY);
    assert.deepEqual([...nodesOf(env)].sort(), ['n1', 'n2', 'n3']);
    const n2 = structuredClone(get<Node>(env, 'Node', 'n2')!);
    n2.spec.taints = [{ key: 'dedicated', effect: 'NoExecute' }];
    env.store.update(n2);
    const victim = pods(env).find((p) => p.spec.nodeName === 'n2')!;
    dsc.reconcile(KEY);
    assert.ok(!get<Pod>(env, 'Pod', victim.metadata.name), 'deleted at once: its node cannot terminate it');
    assert.ok(messages(env, 'SuccessfulDelete').includes(`Deleted pod: ${victim.metadata.name}`));
    // An unbound pod pinned to a node that is deleted would wait for ever: it goes too.
    env.store.delete('Node', undefined, 'n3');
    dsc.reconcile(KEY);
    assert.deepEqual([...nodesOf(env)].sort(), ['n1']);
    assert.equal(get<DaemonSet>(env, 'DaemonSet', 'agent')?.status?.desiredNumberScheduled, 1);
  });

  it('rolls a template change out one node at a time (maxUnavailable 1), then OnDelete leaves old pods alone', () => {
    const { env, dsc } = setup(['n1', 'n2', 'n3'], { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    dsc.reconcile(KEY);
    runAll(env);
    const oldHash = pods(env)[0]!.metadata.labels!['controller-revision-hash'];
    const change = (image: string, type?: 'OnDelete') => {
      const next = structuredClone(get<DaemonSet>(env, 'DaemonSet', 'agent')!);
      next.spec.template.spec.containers[0]!.image = image;
      if (type) next.spec.updateStrategy = { type };
      env.registry.update(next);
    };
    change('http-echo');
    dsc.reconcile(KEY);
    assert.equal(pods(env).length, 2, 'one old pod deleted, its replacement not yet made');
    for (let round = 0; round < 6; round++) {
      dsc.reconcile(KEY);
      runAll(env);
    }
    const rolled = pods(env);
    assert.equal(rolled.length, 3);
    assert.ok(rolled.every((p) => p.spec.containers[0]!.image === 'http-echo' && p.metadata.labels!['controller-revision-hash'] !== oldHash));
    assert.equal(get<DaemonSet>(env, 'DaemonSet', 'agent')?.status?.updatedNumberScheduled, 3);
    change('pause', 'OnDelete');
    dsc.reconcile(KEY);
    assert.equal(pods(env).length, 3, 'OnDelete: nothing is replaced until deleted by hand');
    assert.equal(get<DaemonSet>(env, 'DaemonSet', 'agent')?.status?.updatedNumberScheduled, 0);
  });
  it('keeps a ControllerRevision per template: numbered in order, renumbered when a template comes back, trimmed to the limit', () => {
    const { env, dsc } = setup(['n1']);
    const revisions = () =>
      env.store
        .list<ControllerRevision>('ControllerRevision', { namespace: NS })
        .items.map((r) => [r.metadata.labels?.['controller-revision-hash'], r.revision] as const)
        .sort((a, b) => a[1] - b[1]);
    const setImage = (image: string, limit?: number) => {
      const next = structuredClone(get<DaemonSet>(env, 'DaemonSet', 'agent')!);
      next.spec.template.spec.containers[0]!.image = image;
      if (limit !== undefined) next.spec.revisionHistoryLimit = limit;
      env.registry.update(next);
      dsc.reconcile(KEY);
      runAll(env);
      dsc.reconcile(KEY);
      dsc.reconcile(KEY);
      runAll(env);
    };
    dsc.reconcile(KEY);
    runAll(env);
    const first = pods(env)[0]!.metadata.labels!['controller-revision-hash'];
    const rev = env.store.list<ControllerRevision>('ControllerRevision', { namespace: NS }).items[0]!;
    assert.equal(rev.metadata.name, `agent-${first}`);
    assert.equal(rev.metadata.ownerReferences?.[0]?.kind, 'DaemonSet');
    assert.deepEqual((rev.data as { spec: { template: { spec: Pod['spec'] } } }).spec.template.spec.containers[0]?.image, 'pause');
    setImage('http-echo');
    const second = pods(env)[0]!.metadata.labels!['controller-revision-hash'];
    assert.deepEqual(revisions(), [
      [first, 1],
      [second, 2],
    ]);
    setImage('pause');
    assert.deepEqual(revisions(), [
      [second, 2],
      [first, 3],
    ]);
    setImage('crasher', 0);
    assert.deepEqual(revisions().length, 1, 'only the current one once no pod runs the others and the limit is 0');
  });
});
