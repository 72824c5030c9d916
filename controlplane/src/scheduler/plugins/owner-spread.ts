// OwnerSpread: spreads the replicas of one controller (the ownerReference with controller=true,
// matched by uid) across nodes, and across zones when nodes carry topology.kubernetes.io/zone:
// the fewer of its siblings a node (zone) already has, the higher it scores. The arithmetic is
// kube-scheduler's SelectorSpread: node share and zone share, the zone weighing 2/3.

import type { Pod } from '@kip/shared';
import { MAX_NODE_SCORE, stateKey, type CycleState, type Scores, type ScorePlugin } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { controllerUid } from '../pod-resources.js';

export const OWNER_SPREAD = 'OwnerSpread';

/** When zones are known, 2/3 of the score comes from the zone's share (kube-scheduler's zoneWeighting). */
export const ZONE_WEIGHTING = 2 / 3;

const STATE_KEY = stateKey<ReadonlyMap<NodeInfo, number>>(`PreScore${OWNER_SPREAD}`);

const NO_SIBLINGS: ReadonlyMap<NodeInfo, number> = new Map();

/** The same answer as ClusterSnapshot.nodesOfOwner, from the nodes' own counts, when there is no snapshot. */
function siblingsOn(owner: string, nodes: readonly NodeInfo[]): ReadonlyMap<NodeInfo, number> {
  const out = new Map<NodeInfo, number>();
  for (const ni of nodes) {
    const n = ni.ownerCounts.get(owner);
    if (n) out.set(ni, n);
  }
  return out;
}

/** How many pods of the same controller the node already has; turned around by normalize. */
function siblingCount(pod: Pod, nodeInfo: NodeInfo, state: CycleState): number {
  const siblings = state.read(STATE_KEY);
  if (siblings === undefined) {
    const owner = controllerUid(pod);
    return owner === undefined ? 0 : (nodeInfo.ownerCounts.get(owner) ?? 0);
  }
  return siblings.size === 0 ? 0 : (siblings.get(nodeInfo) ?? 0);
}

export const OwnerSpread: ScorePlugin = {
  name: OWNER_SPREAD,
  weight: 2,
  events: [],

  /** Where the pod's siblings are, looked up once per cycle rather than once per node. */
  preScore(pod: Pod, nodes: readonly NodeInfo[], state: CycleState): void {
    const owner = controllerUid(pod);
    state.write(STATE_KEY, owner === undefined ? NO_SIBLINGS : (state.snapshot?.nodesOfOwner(owner) ?? siblingsOn(owner, nodes)));
  },

  score: siblingCount,

  /** score for every node in one call, so the engine can inline it (see ScorePlugin.scoreNodes). */
  scoreNodes(pod: Pod, nodes: readonly NodeInfo[], state: CycleState, out: Scores): void {
    for (let i = 0; i < nodes.length; i++) out[i] = siblingCount(pod, nodes[i]!, state);
  },

  normalize(scores: Scores, nodes: readonly NodeInfo[]): void {
    const n = scores.length;
    let maxByNode = 0;
    // Zones are counted only when some node has one: most clusters have none, and then this
    // runs without building a map.
    let byZone: Map<string, number> | undefined;
    for (let i = 0; i < n; i++) {
      const s = scores[i]!;
      if (s > maxByNode) maxByNode = s;
      const zone = nodes[i]!.zone;
      if (zone !== '') {
        byZone ??= new Map();
        byZone.set(zone, (byZone.get(zone) ?? 0) + s);
      }
    }
    let maxByZone = 0;
    if (byZone) for (const z of byZone.values()) if (z > maxByZone) maxByZone = z;
    for (let i = 0; i < n; i++) {
      // Same order of float operations as kube-scheduler, so truncation lands on the same integer.
      let f = maxByNode > 0 ? MAX_NODE_SCORE * ((maxByNode - scores[i]!) / maxByNode) : MAX_NODE_SCORE;
      const zone = nodes[i]!.zone;
      if (byZone && zone !== '') {
        const zoneScore = maxByZone > 0 ? MAX_NODE_SCORE * ((maxByZone - byZone.get(zone)!) / maxByZone) : MAX_NODE_SCORE;
        f = f * (1 - ZONE_WEIGHTING) + ZONE_WEIGHTING * zoneScore;
      }
      scores[i] = Math.trunc(f);
    }
  },
};
