// The default profile: kube-scheduler's filter order (cheap node-level checks first, resources
// and volumes before the plugins that look at other pods) and its default score weights: resources
// fit (LeastAllocated) 1, BalancedAllocation 1, PodTopologySpread 2, InterPodAffinity 2,
// NodeAffinity 2, TaintToleration 3.

import type { Plugin } from './framework.js';
import { BalancedAllocation } from './plugins/balanced-allocation.js';
import { NodeAffinity } from './plugins/node-affinity.js';
import { NodeReady } from './plugins/node-ready.js';
import { NodeResourcesFit } from './plugins/node-resources-fit.js';
import { NodeUnschedulable } from './plugins/node-unschedulable.js';
import { InterPodAffinity } from './plugins/inter-pod-affinity.js';
import { PodTopologySpread } from './plugins/pod-topology-spread.js';
import { TaintToleration } from './plugins/taint-toleration.js';
import { VolumeBinding } from './plugins/volume-binding.js';

/** Filters run in this order and stop at the first rejection, so it decides which reason a node reports. */
export function defaultPlugins(): Plugin[] {
  return [
    NodeUnschedulable,
    NodeReady,
    TaintToleration,
    NodeAffinity,
    NodeResourcesFit,
    VolumeBinding,
    PodTopologySpread,
    InterPodAffinity,
    BalancedAllocation,
  ];
}
