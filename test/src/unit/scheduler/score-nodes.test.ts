import assert from 'node:assert/strict';
import type { Pod } from '@kip/shared';
import { SchedulerCache } from '@kip/controlplane';
import { defaultPlugins } from '@kip/controlplane';
import { CycleState, isScorePlugin } from '@kip/controlplane';
import { ZONE_LABEL } from '@kip/controlplane';
import { makeNode, makePod } from './fixtures.js';

/** Nodes that differ in everything a scorer reads: size, usage, siblings, taints, labels, zones. */
function cluster(): SchedulerCache {
  const c = new SchedulerCache();
  c.upsertNode(makeNode('big', { cpu: '16', memory: '64Gi', labels: { [ZONE_LABEL]: 'a', disk: 'ssd' } }));
  c.upsertNode(makeNode('small', { cpu: '1', memory: '1Gi', labels: { [ZONE_LABEL]: 'b' } }));
  c.upsertNode(makeNode('tainted', { taints: [{ key: 'gpu', value: 'yes', effect: 'PreferNoSchedule' }], labels: { disk: 'hdd' } }));
  c.upsertNode(makeNode('busy'));
  for (let i = 0; i < 6; i++) c.updatePod(makePod(`busy-${i}`, { nodeName: i < 4 ? 'busy' : 'big', owner: 'rs-1', cpu: '500m', memory: '1Gi' }));
  return c;
}

const pods: { name: string; pod: Pod }[] = [
  { name: 'a replica with requests', pod: makePod('p1', { owner: 'rs-1', cpu: '250m', memory: '512Mi' }) },
  { name: 'a best-effort pod without owner', pod: makePod('p2') },
  { name: 'a pod tolerating the taint', pod: makePod('p3', { cpu: '1', tolerations: [{ key: 'gpu', operator: 'Exists' }] }) },
  {
    name: 'a pod with preferred node affinity',
    pod: makePod('p4', {
      cpu: '100m',
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 30, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
          ],
        },
      },
    }),
  },
];

describe('score plugins: scoreNodes agrees with score', () => {
  for (const plugin of defaultPlugins().filter(isScorePlugin)) {
    for (const c of pods) {
      it(`${plugin.name}, ${c.name}`, () => {
        const cache = cluster();
        const nodes = cache.nodeList();
        const state = new CycleState(cache);
        const pre = plugin.preScore?.(c.pod, nodes, state);
        if (pre && pre.code === 'Skip') return;
        assert.ok(plugin.scoreNodes, `${plugin.name} has scoreNodes`);
        const batch = new Float64Array(nodes.length);
        plugin.scoreNodes(c.pod, nodes, state, batch);
        assert.deepEqual(
          Array.from(batch),
          nodes.map((ni) => plugin.score(c.pod, ni, state)),
        );
      });
    }
  }
});
