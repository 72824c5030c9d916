import assert from 'node:assert/strict';
import type { Affinity, Pod, PodAffinityTerm } from '@kip/shared';
import {
  ERR_REASON_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
  InterPodAffinity,
  NodeInfo,
  NodeListSnapshot,
  runFilterPlugin,
  runScorePlugin,
} from '@kip/controlplane';
import { makeNode, makePod } from './fixtures.js';

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';

const term = (app: string, topologyKey = HOST, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({
  labelSelector: { matchLabels: { app } },
  topologyKey,
  ...extra,
});
const antiAffinity = (...terms: PodAffinityTerm[]): Affinity => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } });
const affinity = (...terms: PodAffinityTerm[]): Affinity => ({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } });

/** Three nodes in zones a, a, b, with the pods given per node. */
function cluster(pods: Record<string, Pod[]>, namespaces: Record<string, Record<string, string>> = {}): { nodes: NodeInfo[]; snapshot: NodeListSnapshot } {
  const zones: Record<string, string> = { 'node-1': 'a', 'node-2': 'a', 'node-3': 'b' };
  const nodes = Object.entries(zones).map(([name, zone]) => NodeInfo.of(makeNode(name, { labels: { [ZONE]: zone } }), pods[name] ?? []));
  return { nodes, snapshot: new NodeListSnapshot(nodes, namespaces) };
}

/** Each node's filter verdict: "ok" or the reason. */
function verdicts(pod: Pod, c: { nodes: NodeInfo[]; snapshot: NodeListSnapshot }): string[] {
  return c.nodes.map((ni) => {
    const s = runFilterPlugin(InterPodAffinity, pod, ni, c.snapshot);
    return s.code === 'Success' ? 'ok' : s.reasons.join(',');
  });
}

const web = (name: string, o: Parameters<typeof makePod>[1] = {}) => makePod(name, { labels: { app: 'web' }, ...o });

describe('scheduler plugin InterPodAffinity', () => {
  describe('filter', () => {
    it('required anti-affinity by hostname keeps the pod off nodes with a matching pod', () => {
      const c = cluster({ 'node-1': [web('w1')], 'node-3': [makePod('other', { labels: { app: 'db' } })] });
      const anti = ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH;
      assert.deepEqual(verdicts(web('w2', { affinity: antiAffinity(term('web')) }), c), [anti, 'ok', 'ok']);
    });

    it('required anti-affinity by zone rules out the whole zone', () => {
      const c = cluster({ 'node-1': [web('w1')] });
      const anti = ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH;
      assert.deepEqual(verdicts(web('w2', { affinity: antiAffinity(term('web', ZONE)) }), c), [anti, anti, 'ok']);
    });

    it("an existing pod's anti-affinity keeps a pod it selects away, though the newcomer has no terms", () => {
      const c = cluster({ 'node-3': [makePod('loner', { labels: { app: 'db' }, affinity: antiAffinity(term('web', ZONE)) })] });
      assert.deepEqual(verdicts(web('w1'), c), ['ok', 'ok', ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH]);
      assert.deepEqual(verdicts(makePod('unrelated', { labels: { app: 'cache' } }), c), ['ok', 'ok', 'ok']);
    });

    it('required affinity needs a matching pod in the domain', () => {
      const c = cluster({ 'node-2': [makePod('db', { labels: { app: 'db' } })] });
      const miss = ERR_REASON_AFFINITY_RULES_NOT_MATCH;
      assert.deepEqual(verdicts(web('w', { affinity: affinity(term('db', ZONE)) }), c), ['ok', 'ok', miss]);
      assert.deepEqual(verdicts(web('w', { affinity: affinity(term('db')) }), c), [miss, 'ok', miss]);
    });

    it('the first pod of a group that selects itself may go anywhere; the second follows it', () => {
      const self = affinity(term('web', ZONE));
      assert.deepEqual(verdicts(web('w1', { affinity: self }), cluster({})), ['ok', 'ok', 'ok']);
      const miss = ERR_REASON_AFFINITY_RULES_NOT_MATCH;
      assert.deepEqual(verdicts(web('w2', { affinity: self }), cluster({ 'node-3': [web('w1')] })), [miss, miss, 'ok']);
      // A pod whose terms select others, not itself, has no such licence.
      assert.deepEqual(verdicts(web('w', { affinity: affinity(term('db')) }), cluster({})), [miss, miss, miss]);
    });

    it('terms select pods in the owner namespace unless namespaces or namespaceSelector say otherwise', () => {
      const c = cluster({ 'node-1': [makePod('w-other', { namespace: 'other', labels: { app: 'web' } })] }, { other: { team: 'x' } });
      const anti = ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH;
      assert.deepEqual(verdicts(web('w', { affinity: antiAffinity(term('web')) }), c), ['ok', 'ok', 'ok']);
      assert.deepEqual(verdicts(web('w', { affinity: antiAffinity(term('web', HOST, { namespaces: ['other'] })) }), c), [anti, 'ok', 'ok']);
      assert.deepEqual(verdicts(web('w', { affinity: antiAffinity(term('web', HOST, { namespaceSelector: {} })) }), c), [anti, 'ok', 'ok']);
      const byLabel = (team: string) => antiAffinity(term('web', HOST, { namespaceSelector: { matchLabels: { team } } }));
      assert.deepEqual(verdicts(web('w', { affinity: byLabel('x') }), c), [anti, 'ok', 'ok']);
      assert.deepEqual(verdicts(web('w', { affinity: byLabel('y') }), c), ['ok', 'ok', 'ok']);
    });

    it('matchLabelKeys narrows the selector to pods sharing the incoming pod’s value', () => {
      const v1 = makePod('v1', { labels: { app: 'web', rev: '1' } });
      const c = cluster({ 'node-1': [v1] });
      const t = term('web', HOST, { matchLabelKeys: ['rev'] });
      const anti = ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH;
      assert.deepEqual(verdicts(makePod('v2', { labels: { app: 'web', rev: '2' }, affinity: antiAffinity(t) }), c), ['ok', 'ok', 'ok']);
      assert.deepEqual(verdicts(makePod('v1b', { labels: { app: 'web', rev: '1' }, affinity: antiAffinity(t) }), c), [anti, 'ok', 'ok']);
    });

    it('a nil labelSelector selects no pod', () => {
      const c = cluster({ 'node-1': [web('w1')] });
      assert.deepEqual(verdicts(web('w', { affinity: antiAffinity({ topologyKey: HOST }) }), c), ['ok', 'ok', 'ok']);
    });

    it('skips when neither the pod nor any placed pod has required terms', () => {
      const state = cluster({ 'node-1': [web('w1')] });
      const pod = web('w');
      for (const ni of state.nodes) assert.equal(runFilterPlugin(InterPodAffinity, pod, ni, state.snapshot).code, 'Success');
      assert.ok(InterPodAffinity.events.includes('AssignedPodAdd'), 'a newly placed pod may satisfy affinity');
    });
  });

  describe('score', () => {
    it('preferred affinity adds its weight in the matching pods’ domain; preferred anti-affinity subtracts', () => {
      const c = cluster({ 'node-1': [makePod('db', { labels: { app: 'db' } })], 'node-3': [makePod('cache', { labels: { app: 'cache' } })] });
      const pod = web('w', {
        affinity: {
          podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 80, podAffinityTerm: term('db', ZONE) }] },
          podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 20, podAffinityTerm: term('cache') }] },
        },
      });
      // zone a: +80 (node-1, node-2); node-3: -20. Scaled from min to max.
      assert.deepEqual(runScorePlugin(InterPodAffinity, pod, c.nodes, c.snapshot), [100, 100, 0]);
    });

    it("existing pods' preferred terms about the incoming pod count too, as does their required affinity (weight 1)", () => {
      const fan = makePod('fan', {
        labels: { app: 'fan' },
        affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term('web') }] } },
      });
      const hater = makePod('hater', {
        labels: { app: 'hater' },
        affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term('web') }] } },
      });
      const c = cluster({ 'node-1': [fan], 'node-2': [hater] });
      assert.deepEqual(runScorePlugin(InterPodAffinity, web('w'), c.nodes, c.snapshot), [100, 0, 50]);
    });

    it('sits the cycle out when no term anywhere concerns the pod', () => {
      const c = cluster({ 'node-1': [web('w1')] });
      assert.deepEqual(runScorePlugin(InterPodAffinity, web('w'), c.nodes, c.snapshot), [0, 0, 0]);
    });
  });
});
