// The NetworkChaos controller: chooses the nodes and the targets on the other side of their links
// (nodes, and/or the control plane), records them in status, and lets the fault publisher push
// each node the faults it enforces. A fault lasts its duration, or until the object is deleted.

import {
  chooseForNetworkChaos,
  describeFault,
  directionArrow,
  formatDurationMs,
  parseDuration,
  type ChaosStatus,
  type NetworkChaos,
  type Node,
} from '@kip/shared';
import { ChaosController, type ActiveFault, type ChaosControllerDeps, type HealCheck, type RunOutcome } from './chaos-controller.js';
import type { FaultPublisher } from './fault-publisher.js';
import { msOf } from './runs.js';

export class NetworkChaosController extends ChaosController<NetworkChaos> {
  readonly name = 'networkchaos';
  readonly kind = 'NetworkChaos' as const;

  constructor(
    deps: ChaosControllerDeps,
    private readonly publisher: FaultPublisher,
  ) {
    super(deps);
  }

  protected override afterReconcile(): void {
    this.publisher.publish();
  }

  protected run(obj: NetworkChaos, status: ChaosStatus, now: number, attempt: number): RunOutcome {
    const spec = obj.spec;
    const facts = this.store.list<Node>('Node').items.map((n) => ({ name: n.metadata.name, labels: n.metadata.labels }));
    const choice = chooseForNetworkChaos(spec, facts, status.seed ?? 0, attempt);
    if (choice.result !== 'Chosen') return { result: choice.result, nodes: choice.nodes, message: choice.message };
    const { nodes: chosen, targets, controlPlane: toControlPlane } = choice;
    const others = [...targets, ...(toControlPlane ? ['the control plane'] : [])];
    const what = describeFault(spec);
    const durationMs = spec.duration ? parseDuration(spec.duration) : undefined;
    const arrow = directionArrow(spec.direction);
    const message = `${what} on ${chosen.join(', ')} ${arrow} ${others.join(', ')}${durationMs !== undefined ? ` for ${formatDurationMs(durationMs)}` : ' until deleted'}`;
    return {
      result: 'Injected',
      nodes: chosen,
      targets,
      recordTargets: others,
      lasting: true,
      healAt: durationMs !== undefined ? now + durationMs : undefined,
      message,
      nodeMessage: `${what} ${arrow} ${others.join(', ')}`,
    };
  }

  protected checkHeal(_obj: NetworkChaos, status: ChaosStatus, now: number): HealCheck {
    const healAt = msOf(status.healTime);
    if (healAt === undefined) return { healed: false };
    if (now < healAt) return { healed: false, recheckMs: healAt - now };
    return {
      healed: true,
      message: `healed after its duration: traffic between ${(status.affected ?? []).join(', ')} and ${(status.targets ?? []).join(', ')} flows again`,
    };
  }

  protected healDeleted(_fault: ActiveFault): string {
    // The publisher no longer finds the object: the agents get sets without its faults.
    return 'deleted; the network fault is healed';
  }
}
