// Choosing the endpoint for a new connection to a service port, as kube-proxy's userspace
// round-robin balancer does: round-robin over the usable endpoints; with ClientIP affinity a client
// sticks to the endpoint it last got, until it has not been seen for the affinity timeout or that
// endpoint goes away or refuses; after a refusal the next candidate is tried. Pure: the caller
// passes the candidates and the time, so every decision is a function of its inputs.

import type { EndpointRoute } from '@kip/shared';

/** Kubernetes' default sessionAffinityConfig.clientIP.timeoutSeconds: three hours. */
export const DEFAULT_AFFINITY_TIMEOUT_MS = 10_800 * 1000;
/** Affinity entries are swept for expiry at most this often, so that picks stay O(candidates). */
const SWEEP_EVERY = 1024;

export type SessionAffinity = 'None' | 'ClientIP';

export function endpointKey(e: Pick<EndpointRoute, 'ip' | 'port'>): string {
  return `${e.ip}:${e.port}`;
}

interface Sticky {
  endpoint: string;
  lastUsed: number;
}

export class Balancer {
  private cursor = 0;
  private readonly sticky = new Map<string, Sticky>();
  private picks = 0;

  constructor(
    private affinity: SessionAffinity = 'None',
    private readonly affinityTimeoutMs = DEFAULT_AFFINITY_TIMEOUT_MS,
  ) {}

  get sessionAffinity(): SessionAffinity {
    return this.affinity;
  }

  setAffinity(mode: SessionAffinity): void {
    if (mode === this.affinity) return;
    this.affinity = mode;
    this.sticky.clear();
  }

  /**
   * The endpoint for a new connection from `client` (an identity such as a pod IP, or undefined
   * when unknown), among `candidates` that may take connections, skipping those in `tried`.
   * Undefined when none is left.
   */
  pick(candidates: readonly EndpointRoute[], client: string | undefined, now: number, tried: ReadonlySet<string> = new Set()): EndpointRoute | undefined {
    const n = candidates.length;
    if (n === 0) return undefined;
    const sticky = this.affinity === 'ClientIP' && client !== undefined;
    if (sticky) {
      if (++this.picks % SWEEP_EVERY === 0) this.sweep(now);
      const s = this.sticky.get(client);
      if (s && now - s.lastUsed <= this.affinityTimeoutMs && !tried.has(s.endpoint)) {
        const same = candidates.find((c) => endpointKey(c) === s.endpoint);
        if (same) {
          s.lastUsed = now;
          return same;
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const c = candidates[(this.cursor + i) % n]!;
      if (tried.has(endpointKey(c))) continue;
      this.cursor = (this.cursor + i + 1) % n;
      if (sticky) this.sticky.set(client, { endpoint: endpointKey(c), lastUsed: now });
      return c;
    }
    return undefined;
  }

  /** A dial to the endpoint failed: the client does not stick to it any more. */
  failed(client: string | undefined, endpoint: string): void {
    if (client === undefined) return;
    if (this.sticky.get(client)?.endpoint === endpoint) this.sticky.delete(client);
  }

  /** Clients currently stuck to an endpoint. */
  get affinityEntries(): number {
    return this.sticky.size;
  }

  private sweep(now: number): void {
    for (const [client, s] of this.sticky) if (now - s.lastUsed > this.affinityTimeoutMs) this.sticky.delete(client);
  }
}
