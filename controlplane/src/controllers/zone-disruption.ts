// Zone disruption, judged as Kubernetes' node lifecycle controller judges it. When many nodes of a
// zone look unhealthy at once, the fault is likelier to be the control plane's or the network's
// than the nodes', so evictions slow down; when every node of every zone looks unhealthy, they
// stop altogether ("master disruption mode"), since evicting everything saves nothing.
//
//   Normal             evict at --node-eviction-rate
//   PartialDisruption  more than 2 nodes and at least 55% of the zone unhealthy: evict at
//                      --secondary-node-eviction-rate if the zone has more than 50 nodes, else not
//   FullDisruption     no node of the zone Ready: evict at the normal rate, unless every zone is
//                      fully disrupted, then not at all

import type { Node, Timing } from '@kip/shared';

export type ZoneState = 'Normal' | 'PartialDisruption' | 'FullDisruption';

/** --unhealthy-zone-threshold */
export const UNHEALTHY_ZONE_THRESHOLD = 0.55;
/** --large-cluster-size-threshold */
export const LARGE_CLUSTER_SIZE_THRESHOLD = 50;

export const LABEL_ZONE = 'topology.kubernetes.io/zone';
export const LABEL_REGION = 'topology.kubernetes.io/region';

/** The zone a node counts in: its region and zone labels (both empty for most kip clusters). */
export function zoneOf(node: Node): string {
  const l = node.metadata.labels ?? {};
  return `${l[LABEL_REGION] ?? ''}:\u0000:${l[LABEL_ZONE] ?? ''}`;
}

export interface ZoneCount {
  ready: number;
  notReady: number;
}

export function zoneState(c: ZoneCount): ZoneState {
  if (c.ready === 0 && c.notReady > 0) return 'FullDisruption';
  if (c.notReady > 2 && c.notReady / (c.notReady + c.ready) >= UNHEALTHY_ZONE_THRESHOLD) return 'PartialDisruption';
  return 'Normal';
}

/** Nodes per second that may be tainted for eviction in a zone of this size and state. */
export function zoneEvictionRate(state: ZoneState, zoneSize: number, timing: Pick<Timing, 'nodeEvictionRate' | 'secondaryNodeEvictionRate'>): number {
  if (state === 'PartialDisruption') return zoneSize > LARGE_CLUSTER_SIZE_THRESHOLD ? timing.secondaryNodeEvictionRate : 0;
  return timing.nodeEvictionRate;
}

export interface Disruption {
  /** each zone's state now */
  states: Map<string, ZoneState>;
  /** each zone's eviction rate now (0: none) */
  rates: Map<string, number>;
  /** every zone is fully disrupted: evict nothing, and lift the eviction taints already placed */
  masterDisruption: boolean;
  /** master disruption ended with this pass: every node gets a fresh grace period */
  leftMasterDisruption: boolean;
}

/** The zones' states and eviction rates for this pass, given the last pass's states. Pure. */
export function judgeDisruption(
  counts: ReadonlyMap<string, ZoneCount>,
  previous: ReadonlyMap<string, ZoneState>,
  timing: Pick<Timing, 'nodeEvictionRate' | 'secondaryNodeEvictionRate'>,
): Disruption {
  const states = new Map<string, ZoneState>();
  for (const [zone, c] of counts) states.set(zone, zoneState(c));
  const all = (m: ReadonlyMap<string, ZoneState>) => m.size > 0 && [...m.values()].every((s) => s === 'FullDisruption');
  const masterDisruption = all(states);
  const leftMasterDisruption = !masterDisruption && all(previous);
  const rates = new Map<string, number>();
  for (const [zone, state] of states) {
    const c = counts.get(zone)!;
    rates.set(zone, masterDisruption ? 0 : zoneEvictionRate(state, c.ready + c.notReady, timing));
  }
  return { states, rates, masterDisruption, leftMasterDisruption };
}
