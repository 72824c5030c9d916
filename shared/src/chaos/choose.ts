// One run's choice of nodes, as the controllers make it and `npm run chaos -- --dry-run` shows
// it: the same function over the same facts with the same seed picks the same nodes.
//
// Node faults pick among Ready nodes (a dead node cannot be killed again) and are skipped when
// they would leave fewer Ready nodes than minReady. Network faults pick among all matching nodes
// (a fault on a node that is down waits for it) and find the other side: the target's nodes, or
// every other node, and/or the control plane.

import type { NetworkChaosSpec, NodeChaosSpec } from '../api/chaos.js';
import { describeChoice, matchNodes, pickNodes, selectionRandom, type NodeFacts } from './select.js';

export type ChoiceResult =
  | { result: 'Chosen'; nodes: string[]; targets: string[]; controlPlane: boolean; description: string; unavailable: string[] }
  | { result: 'Failed' | 'Skipped'; nodes: string[]; message: string };

function notFound(missing: string[], nodes: readonly NodeFacts[]): string {
  return `${missing.map((n) => `node ${n}`).join(', ')} not found${
    nodes.length
      ? ` (nodes: ${nodes
          .map((n) => n.name)
          .sort()
          .join(', ')})`
      : ' (the cluster has no nodes)'
  }`;
}

/** The nodes a NodeChaos run acts on; `ready` in the facts means Ready with the agent connected. */
export function chooseForNodeChaos(spec: NodeChaosSpec, nodes: readonly NodeFacts[], seed: number, attempt: number): ChoiceResult {
  const matched = matchNodes(spec.selector, nodes);
  if (matched.missing.length > 0) return { result: 'Failed', nodes: [], message: notFound(matched.missing, nodes) };
  const ready = new Set(nodes.filter((n) => n.ready).map((n) => n.name));
  const available = matched.nodes.filter((n) => ready.has(n));
  const unavailable = matched.nodes.filter((n) => !ready.has(n));
  if (available.length === 0) {
    const why = matched.nodes.length === 0 ? 'no node matches the selector' : `${unavailable.join(', ')} ${unavailable.length === 1 ? 'is' : 'are'} not Ready`;
    return { result: 'Skipped', nodes: [], message: `no Ready node to ${spec.action}: ${why}` };
  }
  const chosen = pickNodes(available, spec.mode, spec.value, selectionRandom(seed, attempt, 'nodes'));
  const description = describeChoice(chosen, available, spec.mode, spec.value);
  if (chosen.length === 0) return { result: 'Skipped', nodes: [], message: `the mode picks no node: ${description}` };
  if (spec.minReady !== undefined && ready.size - chosen.length < spec.minReady)
    return {
      result: 'Skipped',
      nodes: chosen,
      message: `${spec.action} of ${chosen.join(', ')} would leave ${ready.size - chosen.length} Ready node(s), fewer than minReady ${spec.minReady}`,
    };
  return { result: 'Chosen', nodes: chosen, targets: [], controlPlane: false, description, unavailable };
}

/** The nodes a NetworkChaos run puts the fault on, and the other side of their links. */
export function chooseForNetworkChaos(spec: NetworkChaosSpec, nodes: readonly NodeFacts[], seed: number, attempt: number): ChoiceResult {
  const matched = matchNodes(spec.selector, nodes);
  const target = spec.target;
  const targetMatched = target?.selector !== undefined || target?.mode !== undefined ? matchNodes(target?.selector, nodes) : undefined;
  const missing = [...new Set([...matched.missing, ...(targetMatched?.missing ?? [])])].sort();
  if (missing.length > 0) return { result: 'Failed', nodes: [], message: notFound(missing, nodes) };
  if (matched.nodes.length === 0) return { result: 'Skipped', nodes: [], message: 'no node matches the selector' };
  const chosen = pickNodes(matched.nodes, spec.mode, spec.value, selectionRandom(seed, attempt, 'nodes'));
  const description = describeChoice(chosen, matched.nodes, spec.mode, spec.value);
  if (chosen.length === 0) return { result: 'Skipped', nodes: [], message: `the mode picks no node: ${description}` };
  const controlPlane = target?.controlPlane === true;
  // Without a target the other side is every other node; with only controlPlane: true, the control plane alone.
  const targets = targetMatched
    ? pickNodes(targetMatched.nodes, target?.mode, target?.value, selectionRandom(seed, attempt, 'targets'))
    : controlPlane
      ? []
      : nodes
          .map((n) => n.name)
          .filter((n) => !chosen.includes(n))
          .sort();
  // A lone chosen node among its own targets ("every node") has no link to itself.
  const others = chosen.length === 1 ? targets.filter((t) => t !== chosen[0]) : targets;
  if (!controlPlane && !others.some((t) => chosen.some((c) => c !== t)))
    return { result: 'Skipped', nodes: chosen, message: 'nothing on the other side of the links: the targets are the chosen nodes themselves' };
  return { result: 'Chosen', nodes: chosen, targets: others, controlPlane, description, unavailable: [] };
}
