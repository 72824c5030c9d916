// Who enforces what: a NetworkChaos chose some nodes and, on the other side, target nodes and/or
// the control plane; this turns that into the list of faults each node enforces on its links.
//
// Every cross-node connection passes through two links (one in each agent), so a fault must be
// enforced on exactly one side or it would count twice. Bytes flowing from x to y are shaped by x
// (toward its peer y) when x is one of the chosen nodes, else by y (from its peer x). Actions on
// whole connections (reset), not directions, act on a pair of nodes from one side only: the
// chosen one, or of two chosen ones the first by name. The control plane enforces nothing: the
// agent's side of its link does.

import type { NetworkChaos, NetworkChaosSpec, NodeChaos } from '../api/chaos.js';
import type { FaultDirection, NetworkFault, NetworkFaultParameter } from '../wire/messages.js';
import { actsOnConnections } from './actions/effects.js';
import { findNetworkAction } from './actions/index.js';
import { deriveSeed } from '../random.js';
import { byteOrder } from '../byte-order.js';

export interface FaultPlanInput {
  /** "namespace/name" of the NetworkChaos */
  chaos: string;
  spec: NetworkChaosSpec;
  /** the chosen nodes (status.affected) */
  nodes: readonly string[];
  /** nodes on the other side (status.targets) */
  targets: readonly string[];
  /** whether the control plane is on the other side too */
  controlPlane: boolean;
  seed: number;
}

/** The parsed parameters of a spec's action, as they go on the wire. */
export function faultParameters(spec: NetworkChaosSpec): Partial<Record<NetworkFaultParameter, number>> {
  const action = findNetworkAction(spec.action);
  return action ? action.toWire((spec as Record<string, unknown>)[action.name] as never) : {};
}

type Flow = { from: string; to: string };
const CP = '\u0000control-plane';

function merge(a: FaultDirection | undefined, b: FaultDirection): FaultDirection {
  return a === undefined || a === b ? b : 'both';
}

/** node -> the faults it enforces for this one NetworkChaos. */
export function planNetworkFaults(input: FaultPlanInput): Map<string, NetworkFault[]> {
  const { spec } = input;
  const chosen = new Set(input.nodes);
  const direction = spec.direction ?? 'to';
  const others = [...new Set(input.targets)];
  if (input.controlPlane) others.push(CP);
  const flows: Flow[] = [];
  for (const s of chosen) {
    for (const t of others) {
      if (t === s) continue;
      if (direction === 'to' || direction === 'both') flows.push({ from: s, to: t });
      if (direction === 'from' || direction === 'both') flows.push({ from: t, to: s });
    }
  }
  // enforcer -> peer -> directions
  const byLink = new Map<string, Map<string, FaultDirection>>();
  const add = (enforcer: string, peer: string, d: FaultDirection) => {
    let peers = byLink.get(enforcer);
    if (!peers) byLink.set(enforcer, (peers = new Map()));
    peers.set(peer, merge(peers.get(peer), d));
  };
  if (actsOnConnections(spec.action)) {
    for (const f of flows) {
      const [a, b] = f.from === CP || f.to === CP ? [f.from === CP ? f.to : f.from, CP] : [f.from, f.to];
      // one side per pair: the chosen one, or of two chosen the first by name
      const enforcer = b === CP || !chosen.has(b) || (chosen.has(a) && a < b) ? a : b;
      add(enforcer, enforcer === a ? b : a, 'both');
    }
  } else {
    for (const f of flows) {
      if (f.from !== CP && chosen.has(f.from)) add(f.from, f.to, 'toPeer');
      else add(f.to, f.from, 'fromPeer');
    }
  }
  const params = faultParameters(spec);
  const out = new Map<string, NetworkFault[]>();
  for (const [node, peers] of byLink) {
    const list: NetworkFault[] = [];
    for (const [peer, d] of [...peers].sort(([a], [b]) => byteOrder(a, b))) {
      const seed = deriveSeed(input.seed, node, peer === CP ? 'control-plane' : peer);
      list.push({ chaos: input.chaos, ...(peer === CP ? { controlPlane: true } : { peer }), direction: d, action: spec.action, ...params, seed });
    }
    out.set(node, list);
  }
  return out;
}

/** The faults of many NetworkChaos objects, gathered per node. */
export function mergePlans(plans: Iterable<Map<string, NetworkFault[]>>): Map<string, NetworkFault[]> {
  const out = new Map<string, NetworkFault[]>();
  for (const plan of plans) for (const [node, faults] of plan) out.set(node, [...(out.get(node) ?? []), ...faults]);
  return out;
}

/** spec.seed, or one derived from the uid, so that an object keeps its choices across restarts. */
export function chaosSeed(obj: NodeChaos | NetworkChaos): number {
  return obj.spec.seed ?? deriveSeed(0, obj.metadata.uid ?? obj.metadata.name);
}

/** The faults of one NetworkChaos, per enforcing node, from its status: nothing unless it is Injected now. */
export function faultsOfChaos(chaos: NetworkChaos): Map<string, NetworkFault[]> {
  const st = chaos.status;
  if (st?.phase !== 'Injected' || !st.affected?.length) return new Map();
  return planNetworkFaults({
    chaos: `${chaos.metadata.namespace ?? 'default'}/${chaos.metadata.name}`,
    spec: chaos.spec,
    nodes: st.affected,
    targets: st.targets ?? [],
    controlPlane: chaos.spec.target?.controlPlane === true,
    seed: st.seed ?? chaosSeed(chaos),
  });
}

/** Every fault one node must enforce, given all NetworkChaos objects. */
export function faultsForNode(chaos: readonly NetworkChaos[], node: string): NetworkFault[] {
  return mergePlans(chaos.map(faultsOfChaos)).get(node) ?? [];
}
