// The side channel for faults on the agent's own link to the control plane. A partition or timeout
// of that link also holds the message that would heal it (and resets may cut it), so while any
// fault is on that link the agent asks the API for the NetworkChaos objects once a second, over a
// connection of its own that the fault does not touch, and works out its faults from them (the
// same pure function the control plane uses). This is the management path a real chaos daemon keeps outside the network it breaks
// (Chaos Mesh's chaos-daemon is driven over gRPC, not through the rules it installs).

import { ApiClient, CHAOS_API_VERSION, faultsForNode, jsonEqual, type List, type Logger, type NetworkChaos, type NetworkFault } from '@kip/shared';

export const FAULT_WATCH_INTERVAL_MS = 1000;

export interface FaultWatchOptions {
  nodeName: string;
  log: Logger;
  /** sets the node's faults when the API says they changed */
  apply(faults: NetworkFault[]): void;
  intervalMs?: number;
  /** the join token, which the API accepts for reading fault objects */
  token?: string;
}

export class FaultWatch {
  private timer?: NodeJS.Timeout;
  private api?: ApiClient;
  private inFlight = false;
  private last: NetworkFault[] = [];

  constructor(private readonly opts: FaultWatchOptions) {}

  /** The control plane's address, learnt when the agent dials it. */
  setControlPlane(host: string, port: number, tls?: { ca?: string }): void {
    this.api = new ApiClient({
      server: `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
      ...(tls?.ca ? { ca: tls.ca } : {}),
      userAgent: `kip-agent/${this.opts.nodeName}`,
      ...(this.opts.token ? { token: this.opts.token } : {}),
    });
  }

  /** Polls while `on`; stops otherwise. `current` is the set in force, to notice a change. */
  watch(on: boolean, current: NetworkFault[]): void {
    this.last = current;
    if (!on) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.opts.intervalMs ?? FAULT_WATCH_INTERVAL_MS);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.inFlight || !this.api) return;
    this.inFlight = true;
    try {
      const list = await this.api.call<List<NetworkChaos>>('GET', `/apis/${CHAOS_API_VERSION}/networkchaos`, { signal: AbortSignal.timeout(2000) });
      const faults = faultsForNode(list.items ?? [], this.opts.nodeName);
      if (jsonEqual(faults, this.last) || !this.timer) return;
      this.opts.log.info('network faults changed (learnt over the side channel: the link to the control plane is faulty)', {
        node: this.opts.nodeName,
        faults: faults.length,
      });
      this.opts.apply(faults);
    } catch {
      // The control plane may be down for real: keep what is in force and ask again.
    } finally {
      this.inFlight = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
