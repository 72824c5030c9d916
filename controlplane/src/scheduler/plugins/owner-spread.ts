// OwnerSpread: spreads the replicas of one controller (the ownerReference with controller=true,
// matched by uid) across nodes, and across zones when nodes carry topology.kubernetes.io/zone:
// the fewer of its siblings a node (zone) already has, the higher it scores. The arithmetic is
// kube-scheduler's SelectorSpread: node share and zone share, the zone weighing 2/3.

import type { Pod } from '@kip/shared';
import { MAX_NODE_SCORE, type CycleState, type ScorePlugin } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { controllerUid } from '../pod-resources.js';

export const OWNER_SPREAD = 'OwnerSpread';

/** When zones are known, 2/3 of the score comes from the zone's share (kube-scheduler's zoneWeighting). */
export const ZONE_WEIGHTING = 2 / 3;

const STATE_KEY = `PreScore${OWNER_SPREAD}`;

export const OwnerSpread: ScorePlugin = {
  name: OWNER_SPREAD,
  weight: 2,
  events: [],

  preScore(pod: Pod, _nodes: readonly NodeInfo[], state: CycleState): void {
    state.write(STATE_KEY, controllerUid(pod) ?? '');
  },

  /** How many pods of the same controller the node already has; turned around by normalize. */
  score(pod: Pod, nodeInfo: NodeInfo, state: CycleState): number {
    const owner = state.read<string>(STATE_KEY) ?? controllerUid(pod);
    if (!owner) return 0;
    return nodeInfo.ownerCounts.get(owner) ?? 0;
  },

  normalize(scores: number[], nodes: readonly NodeInfo[]): void {
    let maxByNode = 0;
    const byZone = new Map<string, number>();
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i]!;
      if (s > maxByNode) maxByNode = s;
      const zone = nodes[i]!.zone;
      if (zone !== '') byZone.set(zone, (byZone.get(zone) ?? 0) + s);
    }
    let maxByZone = 0;
    for (const n of byZone.values()) if (n > maxByZone) maxByZone = n;
    const haveZones = byZone.size > 0;
    for (let i = 0; i < scores.length; i++) {
      // Same order of float operations as kube-scheduler, so truncation lands on the same integer.
      let f = maxByNode > 0 ? MAX_NODE_SCORE * ((maxByNode - scores[i]!) / maxByNode) : MAX_NODE_SCORE;
      const zone = nodes[i]!.zone;
      if (haveZones && zone !== '') {
        const zoneScore = maxByZone > 0 ? MAX_NODE_SCORE * ((maxByZone - byZone.get(zone)!) / maxByZone) : MAX_NODE_SCORE;
        f = f * (1 - ZONE_WEIGHTING) + ZONE_WEIGHTING * zoneScore;
      }
      scores[i] = Math.trunc(f);
    }
  },
};
