import assert from 'node:assert/strict';
import type { Pod, TopologySpreadConstraint } from '@kip/shared';
import {
  CycleState,
  ERR_REASON_CONSTRAINTS_NOT_MATCH,
  ERR_REASON_NODE_LABEL_NOT_MATCH,
  NodeInfo,
  NodeListSnapshot,
  PodTopologySpread,
  runFilterPlugin,
  runScorePlugin,
} from '@kip/controlplane';
import { makeNode, makePod, type NodeSpecOptions } from './fixtures.js';

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';

function spread(c: Partial<TopologySpreadConstraint> & { topologyKey: string }): TopologySpreadConstraint {
  return { maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, ...c };
}

function withSpread(
  name: string,
  constraints: TopologySpreadConstraint[],
  labels: Record<string, string> = { app: 'web' },
  extra: Partial<Pod['spec']> = {},
): Pod {
  const p = makePod(name, { labels });
  p.spec.topologySpreadConstraints = constraints;
  Object.assign(p.spec, extra);
  return p;
}

const web = (name: string, ns = 'default') => makePod(name, { labels: { app: 'web' }, namespace: ns });

/** Nodes by name -> (labels, pods). */
function cluster(spec: Record<string, { labels?: Record<string, string>; pods?: Pod[]; node?: NodeSpecOptions }>) {
  const nodes = Object.entries(spec).map(([name, s]) => NodeInfo.of(makeNode(name, { ...s.node, labels: s.labels ?? {} }), s.pods ?? []));
  return { nodes, snapshot: new NodeListSnapshot(nodes) };
}

function verdicts(pod: Pod, c: ReturnType<typeof cluster>): string[] {
  return c.nodes.map((ni) => {
    const s = runFilterPlugin(PodTopologySpread, pod, ni, c.snapshot);
    return s.code === 'Success' ? 'ok' : s.reasons.join(',');
  });
}

const NO = ERR_REASON_CONSTRAINTS_NOT_MATCH;

describe('scheduler plugin PodTopologySpread', () => {
  describe('filter (DoNotSchedule)', () => {
    it('maxSkew 1 by hostname allows only the emptiest nodes', () => {
      const c = cluster({ a: { pods: [web('1'), web('2')] }, b: { pods: [web('3')] }, c: { pods: [web('4')] } });
      assert.deepEqual(verdicts(withSpread('p', [spread({ topologyKey: HOST })]), c), [NO, 'ok', 'ok']);
    });

    it('counts by zone, every eligible node registering its zone even when empty', () => {
      const c = cluster({
        a1: { labels: { [ZONE]: 'a' }, pods: [web('1')] },
        a2: { labels: { [ZONE]: 'a' }, pods: [web('2')] },
        b1: { labels: { [ZONE]: 'b' } },
      });
      assert.deepEqual(verdicts(withSpread('p', [spread({ topologyKey: ZONE })]), c), [NO, NO, 'ok']);
      assert.deepEqual(verdicts(withSpread('p', [spread({ topologyKey: ZONE, maxSkew: 3 })]), c), ['ok', 'ok', 'ok']);
    });

    it('a node without the topology key is rejected as missing the label', () => {
      const c = cluster({ a1: { labels: { [ZONE]: 'a' } }, bare: {} });
      assert.deepEqual(verdicts(withSpread('p', [spread({ topologyKey: ZONE })]), c), ['ok', ERR_REASON_NODE_LABEL_NOT_MATCH]);
    });

    it('counts only selected, non-terminating pods of the same namespace', () => {
      const gone = makePod('gone', { labels: { app: 'web' }, deletionTimestamp: '2026-01-01T00:00:00Z' });
      const c = cluster({ a: { pods: [web('1', 'other'), gone, makePod('db', { labels: { app: 'db' } })] }, b: {} });
      assert.deepEqual(verdicts(withSpread('p', [spread({ topologyKey: HOST })]), c), ['ok', 'ok']);
    });

    it('a pod its own selector does not match adds nothing to the skew', () => {
      const c = cluster({ a: { pods: [web('1')] }, b: {} });
      assert.deepEqual(verdicts(withSpread('p', [spread({ topologyKey: HOST })], { app: 'other' }), c), ['ok', 'ok']);
    });

    it('minDomains: with fewer domains than asked the global minimum counts as 0', () => {
      const c = cluster({ a: { labels: { [ZONE]: 'a' }, pods: [web('1')] }, b: { labels: { [ZONE]: 'b' }, pods: [web('2')] } });
      assert.deepEqual(verdicts(withSpread('p', [spread({ topologyKey: ZONE })]), c), ['ok', 'ok']);
      assert.deepEqual(verdicts(withSpread('p', [spread({ topologyKey: ZONE, minDomains: 3 })]), c), [NO, NO]);
    });

    it('nodeAffinityPolicy Honor leaves nodes the pod cannot go to out of the domains; Ignore counts them', () => {
      const c = cluster({ a: { labels: { pool: 'x' }, pods: [web('1')] }, b: { labels: { pool: 'x' }, pods: [web('2')] }, c: { labels: { pool: 'y' } } });
      const honor = withSpread('p', [spread({ topologyKey: HOST })], { app: 'web' }, { nodeSelector: { pool: 'x' } });
      assert.deepEqual(verdicts(honor, c), ['ok', 'ok', 'ok'], 'the empty node c is not a domain for this pod');
      const ignore = withSpread('p', [spread({ topologyKey: HOST, nodeAffinityPolicy: 'Ignore' })], { app: 'web' }, { nodeSelector: { pool: 'x' } });
      assert.deepEqual(verdicts(ignore, c), [NO, NO, 'ok']);
    });

    it('nodeTaintsPolicy Honor leaves out nodes with taints the pod does not tolerate', () => {
      const taints = [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' as const }];
      const c = cluster({ a: { pods: [web('1')] }, t: { node: { taints } } });
      assert.deepEqual(verdicts(withSpread('p', [spread({ topologyKey: HOST })]), c), [NO, 'ok']);
      assert.deepEqual(verdicts(withSpread('p', [spread({ topologyKey: HOST, nodeTaintsPolicy: 'Honor' })]), c), ['ok', 'ok']);
    });

    it('matchLabelKeys spreads each revision on its own', () => {
      const old = (n: string) => makePod(n, { labels: { app: 'web', rev: '1' } });
      const c = cluster({ a: { pods: [old('1'), old('2')] }, b: {} });
      const p = withSpread('p', [spread({ topologyKey: HOST, matchLabelKeys: ['rev'] })], { app: 'web', rev: '2' });
      assert.deepEqual(verdicts(p, c), ['ok', 'ok']);
    });

    it('ScheduleAnyway constraints and pods without constraints skip the filter', () => {
      const c = cluster({ a: { pods: [web('1'), web('2')] }, b: {} });
      assert.deepEqual(verdicts(withSpread('p', [spread({ topologyKey: HOST, whenUnsatisfiable: 'ScheduleAnyway' })]), c), ['ok', 'ok']);
      assert.deepEqual(verdicts(web('p'), c), ['ok', 'ok']);
    });
  });

  describe('score', () => {
    it('ScheduleAnyway prefers the domains with fewer matching pods', () => {
      const c = cluster({ a: { pods: [web('1'), web('2')] }, b: { pods: [web('3')] }, c: {} });
      const p = withSpread('p', [spread({ topologyKey: HOST, whenUnsatisfiable: 'ScheduleAnyway' })]);
      // raw: cnt * log(3 + 2) rounded: 3, 2, 0; normalized 100 * (max + min - s) / max.
      assert.deepEqual(runScorePlugin(PodTopologySpread, p, c.nodes, c.snapshot), [0, 33, 100]);
    });

    it("nodes lacking a key of the pod's own constraints score 0", () => {
      const c = cluster({ a: { labels: { [ZONE]: 'a' } }, bare: {} });
      const p = withSpread('p', [spread({ topologyKey: ZONE, whenUnsatisfiable: 'ScheduleAnyway' })]);
      assert.deepEqual(runScorePlugin(PodTopologySpread, p, c.nodes, c.snapshot), [100, 0]);
    });

    describe('system defaults (a pod without constraints, spread with its controller’s pods)', () => {
      const sibling = (n: string) => makePod(n, { owner: 'rs-1' });
      it('prefers nodes with fewer siblings', () => {
        const c = cluster({ a: { pods: [sibling('1'), sibling('2')] }, b: { pods: [sibling('3')] }, c: {} });
        // raw: cnt * log(5) + 2: 5.2 -> 5, 3.6 -> 4, 2; normalized 100 * (5 + 2 - s) / 5.
        assert.deepEqual(runScorePlugin(PodTopologySpread, makePod('p', { owner: 'rs-1' }), c.nodes, c.snapshot), [40, 60, 100]);
      });

      it('scores in one pass (scoreNodes) exactly as node by node', () => {
        const c = cluster({ a: { pods: [sibling('1'), sibling('2')] }, b: { pods: [sibling('3')] }, c: {} });
        const pod = makePod('p', { owner: 'rs-1' });
        const state = new CycleState(c.snapshot);
        PodTopologySpread.preScore!(pod, c.nodes, state);
        const out = new Float64Array(c.nodes.length);
        PodTopologySpread.scoreNodes!(pod, c.nodes, state, out);
        assert.deepEqual(
          Array.from(out),
          c.nodes.map((ni) => PodTopologySpread.score(pod, ni, state)),
        );
      });

      it('scores a subset of the nodes right whatever order earlier cycles scored them in', () => {
        // Siblings on 2 of 5 nodes: fewer siblings than scored nodes, the path that finds their
        // slots by the stamp each scored node gets; an earlier cycle's stamps must not mislead it.
        const c = cluster({ a: { pods: [sibling('1'), sibling('2')] }, b: { pods: [sibling('3')] }, c: {}, d: {}, e: {} });
        const pod = makePod('p', { owner: 'rs-1' });
        for (const nodes of [c.nodes, [...c.nodes].reverse(), [c.nodes[4]!, c.nodes[0]!, c.nodes[2]!], [c.nodes[2]!, c.nodes[3]!, c.nodes[4]!]]) {
          const state = new CycleState(c.snapshot);
          PodTopologySpread.preScore!(pod, nodes, state);
          const out = new Float64Array(nodes.length);
          PodTopologySpread.scoreNodes!(pod, nodes, state, out);
          assert.deepEqual(
            Array.from(out),
            nodes.map((ni) => PodTopologySpread.score(pod, ni, state)),
            nodes.map((ni) => ni.name).join(','),
          );
        }
      });

      it('counts zones too when nodes have them', () => {
        const c = cluster({
          a1: { labels: { [ZONE]: 'a' }, pods: [sibling('1')] },
          a2: { labels: { [ZONE]: 'a' } },
          b1: { labels: { [ZONE]: 'b' } },
        });
        const scores = runScorePlugin(PodTopologySpread, makePod('p', { owner: 'rs-1' }), c.nodes, c.snapshot);
        assert.ok(scores[2]! > scores[1]! && scores[1]! > scores[0]!, `zone b beats zone a's empty node, which beats the full one: ${scores}`);
      });

      it('pods of other controllers, and pods with no controller, do not spread', () => {
        const c = cluster({ a: { pods: [makePod('x', { owner: 'rs-2' })] }, b: {} });
        assert.deepEqual(runScorePlugin(PodTopologySpread, makePod('p', { owner: 'rs-1' }), c.nodes, c.snapshot), [100, 100]);
        assert.deepEqual(runScorePlugin(PodTopologySpread, makePod('p'), c.nodes, c.snapshot), [0, 0], 'no controller: the plugin skips');
      });
    });

    it('weighs 2, as kube-scheduler’s default profile', () => {
      assert.equal(PodTopologySpread.weight, 2);
    });
  });
});
