// NodeUnschedulable: a cordoned node (spec.unschedulable) takes no new pods, unless the pod
// tolerates the node.kubernetes.io/unschedulable:NoSchedule taint, as kube-scheduler allows.

import type { Pod, Taint } from '@kip/shared';
import { ClusterEvents, SKIP, SUCCESS, unresolvable, type CycleState, type FilterPlugin, type Status, type Verdicts } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { tolerationsTolerateTaint } from './taint-toleration.js';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

const UNSCHEDULABLE_TAINT: Taint = { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' };
const CORDONED = unresolvable(ERR_REASON_UNSCHEDULABLE);

function cordonedFilter(pod: Pod, nodeInfo: NodeInfo, _state: CycleState): Status {
  if (!nodeInfo.unschedulable) return SUCCESS;
  return tolerationsTolerateTaint(pod.spec.tolerations, UNSCHEDULABLE_TAINT) ? SUCCESS : CORDONED;
}

export const NodeUnschedulable: FilterPlugin = {
  name: NODE_UNSCHEDULABLE,
  events: [ClusterEvents.NodeAdd, ClusterEvents.NodeUnschedulableChange],
  filter: cordonedFilter,

  /** With no node cordoned there is nothing to turn away. */
  preFilter(_pod: Pod, state: CycleState): Status {
    return state.snapshot?.census().unschedulable === 0 ? SKIP : SUCCESS;
  },

  /** filter for a batch, so the engine can inline it (see FilterPlugin.filterNodes). */
  filterNodes(pod: Pod, nodes: readonly NodeInfo[], state: CycleState, verdicts: Verdicts): number {
    let rejected = 0;
    for (let i = 0; i < nodes.length; i++) {
      if (verdicts[i] !== undefined) continue;
      const s = nodes[i]!.unschedulable ? cordonedFilter(pod, nodes[i]!, state) : SUCCESS;
      if (s !== SUCCESS) {
        verdicts[i] = s;
        rejected++;
      }
    }
    return rejected;
  },
};
