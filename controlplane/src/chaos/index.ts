// Chaos in the control plane: the NodeChaos, NetworkChaos and ControlPlaneChaos controllers, and the publisher that
// keeps every agent's set of network faults current. The server adds the controllers to its
// controller manager and asks `initialMessages` for what a connecting node must enforce.

import type { ControlPlaneMessage } from '@kip/shared';
import type { ChaosControllerDeps } from './chaos-controller.js';
import { ControlPlaneChaosController, type ControlPlaneProcess } from './control-plane-chaos.js';
import { FaultPublisher } from './fault-publisher.js';
import { NetworkChaosController } from './network-chaos.js';
import { NodeChaosController } from './node-chaos.js';

export { CHAOS_COMPONENT, type ChaosAgents, type ChaosControllerDeps } from './chaos-controller.js';
export { ControlPlaneChaosController, thisProcess, type ControlPlaneProcess } from './control-plane-chaos.js';
export { FaultPublisher } from './fault-publisher.js';
export { NetworkChaosController } from './network-chaos.js';
export { NodeChaosController } from './node-chaos.js';

export class Chaos {
  readonly publisher: FaultPublisher;
  readonly nodeChaos: NodeChaosController;
  readonly networkChaos: NetworkChaosController;
  readonly controlPlaneChaos: ControlPlaneChaosController;

  constructor(deps: ChaosControllerDeps, controlPlane: ControlPlaneProcess) {
    this.publisher = new FaultPublisher(deps.store, deps.agents, deps.log.child('chaos'));
    this.nodeChaos = new NodeChaosController(deps);
    this.networkChaos = new NetworkChaosController(deps, this.publisher);
    this.controlPlaneChaos = new ControlPlaneChaosController(deps, controlPlane);
  }

  get controllers(): [NodeChaosController, NetworkChaosController, ControlPlaneChaosController] {
    return [this.nodeChaos, this.networkChaos, this.controlPlaneChaos];
  }

  /** The faults a connecting node must enforce, sent right after its welcome. */
  initialMessages(node: string): ControlPlaneMessage[] {
    return this.publisher.initialMessages(node);
  }
}
