// NodeReady: only a node whose Ready condition is True takes new pods. kube-scheduler gets the
// same effect from the node.kubernetes.io/not-ready and /unreachable taints, which kip's
// node-lifecycle controller also sets (so TaintToleration covers them too); this plain filter
// keeps the rule when a node has not been tainted yet, and says it in plain words.

import type { Pod } from '@kip/shared';
import { ClusterEvents, SKIP, SUCCESS, unresolvable, type CycleState, type FilterPlugin, type Status, type Verdicts } from '../framework.js';
import type { NodeInfo } from '../node-info.js';

export const NODE_READY = 'NodeReady';
export const ERR_REASON_NOT_READY = 'node(s) were not ready';

const NOT_READY = unresolvable(ERR_REASON_NOT_READY);

export const NodeReady: FilterPlugin = {
  name: NODE_READY,
  events: [ClusterEvents.NodeAdd, ClusterEvents.NodeReadyChange],

  /** With every node Ready there is nothing to turn away. */
  preFilter(_pod: Pod, state: CycleState): Status {
    return state.snapshot?.census().notReady === 0 ? SKIP : SUCCESS;
  },
  filter(_pod: Pod, nodeInfo: NodeInfo, _state: CycleState): Status {
    return nodeInfo.ready ? SUCCESS : NOT_READY;
  },

  /** filter for a batch, so the engine can inline it (see FilterPlugin.filterNodes). */
  filterNodes(_pod: Pod, nodes: readonly NodeInfo[], _state: CycleState, verdicts: Verdicts): number {
    let rejected = 0;
    for (let i = 0; i < nodes.length; i++) {
      if (verdicts[i] !== undefined || nodes[i]!.ready) continue;
      verdicts[i] = NOT_READY;
      rejected++;
    }
    return rejected;
  },
};
