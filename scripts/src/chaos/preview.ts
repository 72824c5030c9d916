// What `--dry-run` says a fault's first run would pick, computed by the same functions and with
// the same seed as the controllers use, from the nodes the API lists now. (The controller also
// requires a node fault's node to have its agent connected; Ready nodes have.)

import { chooseForNetworkChaos, chooseForNodeChaos, directionArrow, isNodeReady, type NetworkChaos, type Node, type NodeChaos } from '@kip/shared';

export function previewChoice(obj: NodeChaos | NetworkChaos, nodes: readonly Node[]): string {
  const facts = nodes.map((n) => ({ name: n.metadata.name, labels: n.metadata.labels, ready: isNodeReady(n) }));
  const seed = obj.spec.seed ?? 0;
  const choice = obj.kind === 'NodeChaos' ? chooseForNodeChaos(obj.spec, facts, seed, 0) : chooseForNetworkChaos(obj.spec, facts, seed, 0);
  if (choice.result !== 'Chosen') return `${choice.result.toLowerCase()}: ${choice.message}`;
  if (obj.kind === 'NodeChaos') return `${obj.spec.action} ${choice.description}`;
  const other = [...choice.targets, ...(choice.controlPlane ? ['the control plane'] : [])].join(', ');
  const arrow = directionArrow(obj.spec.direction);
  return `${obj.spec.action} on ${choice.description} ${arrow} ${other}`;
}
