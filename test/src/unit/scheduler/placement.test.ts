import assert from 'node:assert/strict';
import type { Pod } from '@kip/shared';
import { SchedulerCache } from '@kip/controlplane';
import { defaultPlugins } from '@kip/controlplane';
import { Framework } from '@kip/controlplane';
import { findPlacement, type PlacementInput } from '@kip/controlplane';
import { expandScored } from '@kip/controlplane';
import { ZONE_LABEL } from '@kip/controlplane';
import { makeNode, makePod } from './fixtures.js';

type Shape = 'zones' | 'no zones' | 'troubled';

/**
 * A cache with some pods of rs-1 and rs-2 already bound, on nodes in two zones; or on nodes
 * without zones; or in zones with a cordoned node, one not Ready and nodes with each kind of
 * taint, so that no filter or scorer can skip its pass over the nodes (see node-census.ts).
 */
function cluster(shape: Shape = 'zones'): SchedulerCache {
  const c = new SchedulerCache();
  for (let i = 0; i < 12; i++) {
    const labels: Record<string, string> = shape === 'no zones' ? {} : { [ZONE_LABEL]: i % 2 ? 'a' : 'b' };
    const trouble =
      shape !== 'troubled'
        ? {}
        : i === 1
          ? { unschedulable: true }
          : i === 2
            ? { ready: 'False' as const }
            : i === 4
              ? { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' as const }] }
              : i === 6 || i === 9
                ? { taints: [{ key: 'spot', effect: 'PreferNoSchedule' as const }] }
                : {};
    c.upsertNode(makeNode(`n${i}`, { labels, cpu: i === 3 ? '1' : '4', ...trouble }));
  }
  for (let i = 0; i < 20; i++) c.updatePod(makePod(`old-${i}`, { nodeName: `n${(i * 5) % 12}`, owner: i % 3 ? 'rs-1' : 'rs-2', cpu: '200m', memory: '256Mi' }));
  return c;
}

function input(c: SchedulerCache, pod: Pod, withSnapshot: boolean, over: Partial<PlacementInput> = {}): PlacementInput {
  return {
    pod,
    uid: pod.metadata.uid!,
    attempt: 1,
    time: '2026-01-01T00:00:00Z',
    nodes: c.nodeList(),
    framework: new Framework(defaultPlugins()),
    ...(withSnapshot ? { snapshot: c } : {}),
    seed: 7,
    startIndex: 5,
    percentageOfNodesToScore: 0,
    diagnosisNodeLimit: 10,
    ...over,
  };
}

describe('findPlacement', () => {
  const pods: { name: string; pod: Pod }[] = [
    { name: 'a replica of an owner with siblings', pod: makePod('p1', { owner: 'rs-1', cpu: '500m', memory: '512Mi' }) },
    { name: 'a replica of another owner', pod: makePod('p2', { owner: 'rs-2', cpu: '100m' }) },
    { name: 'a pod without a controller', pod: makePod('p3', { cpu: '1' }) },
    { name: 'a pod too big for the small node', pod: makePod('p4', { owner: 'rs-1', cpu: '3500m' }) },
  ];
  for (const shape of ['zones', 'no zones', 'troubled'] as const)
    for (const c of pods) {
      it(`decides ${c.name} the same with the cache's owner index and census as from the nodes alone (${shape})`, () => {
        const cache = cluster(shape);
        const fast = findPlacement(input(cache, c.pod, true));
        const plain = findPlacement(input(cache, c.pod, false));
        assert.equal(fast.kind, 'fit');
        assert.equal(plain.kind, 'fit');
        if (fast.kind !== 'fit' || plain.kind !== 'fit') return;
        assert.deepEqual(fast.diag, plain.diag);
        if (shape === 'troubled') {
          assert.ok(fast.diag.filtered.length >= 3, 'the cordoned, NotReady and tainted nodes were turned away');
          // Spreading counts siblings on every node of the cluster when it has the cache to ask,
          // and only on the nodes it is shown without: with nodes filtered out, its scores differ.
          // Every other plugin's must not.
          const others = (p: typeof fast) =>
            Object.fromEntries(expandScored(p.scores).map((s) => [s.node, { ...s.scores, PodTopologySpread: 0 } as Record<string, number>]));
          assert.deepEqual(others(fast), others(plain));
          assert.ok(
            Object.values(others(fast)).some((s) => s.TaintToleration! < 100),
            'a PreferNoSchedule taint was scored',
          );
          return;
        }
        assert.equal(fast.node.name, plain.node.name);
        assert.deepEqual(expandScored(fast.scores), expandScored(plain.scores));
      });
    }

  it('lists the chosen node first in the scores, with every plugin named', () => {
    const cache = cluster();
    const p = findPlacement(input(cache, makePod('p', { owner: 'rs-1', cpu: '100m' }), true));
    assert.equal(p.kind, 'fit');
    if (p.kind !== 'fit') return;
    const scored = expandScored(p.scores);
    assert.equal(scored[0]!.node, p.node.name);
    assert.equal(scored.length, 10, 'up to the diagnosis limit');
    assert.deepEqual(Object.keys(scored[0]!.scores).sort(), [
      'InterPodAffinity',
      'NodeAffinity',
      'NodeResourcesBalancedAllocation',
      'NodeResourcesFit',
      'PodTopologySpread',
      'TaintToleration',
    ]);
    for (let i = 2; i < scored.length; i++) assert.ok(scored[i - 1]!.total >= scored[i]!.total, 'the others best first');
  });

  it('names each node filtered out with the plugin and its reasons', () => {
    const cache = new SchedulerCache();
    cache.upsertNode(makeNode('a'));
    cache.upsertNode(makeNode('b'));
    cache.upsertNode(makeNode('c', { unschedulable: true }));
    const p = findPlacement(input(cache, makePod('p', { cpu: '1' }), true, { startIndex: 0 }));
    assert.equal(p.kind, 'fit');
    assert.deepEqual([p.diag.numAllNodes, p.diag.feasibleNodes], [3, 2]);
    assert.deepEqual(p.diag.filtered, [{ node: 'c', plugin: 'NodeUnschedulable', reasons: ['node(s) were unschedulable'] }]);
    const big = findPlacement(input(cache, makePod('big', { cpu: '64' }), true, { startIndex: 0 }));
    assert.equal(big.kind, 'unschedulable');
    assert.deepEqual(big.diag.reasonCounts, { 'Insufficient cpu': 2, 'node(s) were unschedulable': 1 });
    assert.deepEqual([...big.diag.unschedulablePlugins].sort(), ['NodeResourcesFit', 'NodeUnschedulable']);
  });

  it('counts rejections in full but lists only up to the limit', () => {
    const cache = cluster();
    const p = findPlacement(input(cache, makePod('huge', { cpu: '64' }), true, { diagnosisNodeLimit: 3 }));
    assert.equal(p.kind, 'unschedulable');
    assert.deepEqual(p.diag.reasonCounts, { 'Insufficient cpu': 12 });
    assert.equal(p.diag.filtered.length, 3);
    assert.equal(p.diag.message, '0/12 nodes are available: 12 Insufficient cpu.');
  });

  it('starts each decision from a clean feasible list, whatever the previous one found', () => {
    const cache = cluster();
    const framework = new Framework(defaultPlugins());
    const wide = findPlacement(input(cache, makePod('small', { cpu: '100m' }), true, { framework }));
    const narrow = findPlacement(input(cache, makePod('picky', { cpu: '100m', nodeSelector: { 'kubernetes.io/hostname': 'n7' } }), true, { framework }));
    const wideAgain = findPlacement(input(cache, makePod('small-2', { cpu: '100m' }), true, { framework }));
    assert.equal(wide.diag.feasibleNodes, 12);
    assert.equal(narrow.kind, 'fit');
    assert.equal(narrow.diag.feasibleNodes, 1);
    if (narrow.kind === 'fit') assert.equal(narrow.node.name, 'n7');
    assert.equal(wideAgain.diag.feasibleNodes, 12);
    if (wideAgain.kind === 'fit') assert.equal(new Set(expandScored(wideAgain.scores).map((s) => s.node)).size, 10, 'no node listed twice');
  });

  describe('how many nodes a decision looks at', () => {
    /** A cache of n identical empty nodes. */
    const uniform = (n: number) => {
      const c = new SchedulerCache();
      for (let i = 0; i < n; i++) c.upsertNode(makeNode(`u${i}`));
      return c;
    };
    const cases: { name: string; nodes: number; pct: number; evaluated: number }[] = [
      { name: 'percentage 100 (the bench baseline) filters and scores every node', nodes: 1000, pct: 100, evaluated: 1000 },
      { name: 'adaptive at 1 000 nodes: 50% - 8% = 42%', nodes: 1000, pct: 0, evaluated: 420 },
      { name: 'adaptive at 5 000 nodes: 50% - 40% = 10%', nodes: 5000, pct: 0, evaluated: 500 },
      { name: 'adaptive never looks at fewer than 100 nodes', nodes: 150, pct: 0, evaluated: 100 },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const cache = uniform(c.nodes);
        const p = findPlacement(input(cache, makePod('p', { cpu: '100m' }), true, { percentageOfNodesToScore: c.pct, startIndex: 0 }));
        assert.equal(p.kind, 'fit');
        assert.deepEqual([p.diag.numNodesToFind, p.diag.evaluatedNodes, p.diag.feasibleNodes], [c.evaluated, c.evaluated, c.evaluated]);
      });
    }
  });
});
