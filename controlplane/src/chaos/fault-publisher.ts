// The fault publisher: the network faults each node must enforce, computed from the NetworkChaos
// objects under injection (their status says which nodes and targets), and kept current in every
// connected agent. A node gets its whole set when it connects (after the welcome, before its
// pods) and again whenever it changes; a set that is the same as the last one sent is not sent.

import { faultsOfChaos, mergePlans, type Faults, type Logger, type NetworkChaos, type NetworkFault } from '@kip/shared';
import type { Store } from '../store/store.js';
import type { ChaosAgents } from './chaos-controller.js';

export class FaultPublisher {
  /** node -> the set last sent to its current session, as JSON */
  private readonly sent = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly agents: ChaosAgents,
    private readonly log: Logger,
  ) {}

  /** Every node's faults now. */
  desired(): Map<string, NetworkFault[]> {
    return mergePlans(this.store.list<NetworkChaos>('NetworkChaos').items.map(faultsOfChaos));
  }

  /** The message a node gets when it connects: its whole set (possibly empty). */
  initialMessages(node: string): Faults[] {
    const faults = this.desired().get(node) ?? [];
    this.sent.set(node, JSON.stringify(faults));
    return [{ type: 'faults', faults }];
  }

  /** Sends each connected node whose set changed its new set. */
  publish(): void {
    const desired = this.desired();
    for (const node of new Set([...desired.keys(), ...this.sent.keys()])) {
      const faults = desired.get(node) ?? [];
      const json = JSON.stringify(faults);
      if (this.sent.get(node) === json) continue;
      const session = this.agents.session(node);
      if (!session) {
        // It gets its set when it connects again.
        this.sent.delete(node);
        continue;
      }
      if (session.send({ type: 'faults', faults })) {
        this.sent.set(node, json);
        this.log.debug('network faults sent', { node, faults: faults.length });
      }
    }
  }
}
