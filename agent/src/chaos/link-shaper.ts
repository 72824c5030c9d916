// The faults on one link, combined: every NetworkFault this node enforces toward one peer (a node,
// or the control plane) becomes one shape per direction (held, total delay, the tightest rate)
// and a reset probability. The shaper is the link's LinkFault while any fault is set; the stages
// it hands out read their shape from it live, so a fault that changes or heals acts on open
// connections at once, and connections that opened before any fault get a stage put in.

import type { Duplex } from 'node:stream';
import { connectionEffect, deriveSeed, seededRandom, trafficShape, type Logger, type NetworkFault, type Random } from '@kip/shared';
import type { LinkConnection, LinkConnectionInfo, LinkDirection, LinkFault } from '../proxy/link.js';
import { CorrelatedDelay } from './jitter.js';
import { FaultStage, type DirectionShape, type ShapeSource, type StageOptions } from './stage.js';
import { TokenBucket } from './token-bucket.js';

/** What a shaper needs of the link it shapes: the proxy's Link, or the agent's control-plane connection. */
export interface ShapedLink {
  setFault(fault: LinkFault | undefined): void;
  connections(): LinkConnection[];
}

/** How often a live connection may be reset by a reset fault. */
export const RESET_TICK_MS = 1000;

const DIRECTIONS: LinkDirection[] = ['toPeer', 'fromPeer'];
const NONE: DirectionShape = { held: false, latencyMs: 0, jitterMs: 0, correlation: 0 };

function affects(f: NetworkFault, d: LinkDirection): boolean {
  return f.direction === 'both' || f.direction === d;
}

/** Why a connection was refused or cut by a reset fault: an ECONNRESET, as the peer would see it. */
export class ChaosResetError extends Error {
  readonly code = 'ECONNRESET';
  constructor(readonly chaos: string) {
    super(`connection reset by chaos ${chaos}`);
    this.name = 'ChaosResetError';
  }
}

export class LinkShaper implements ShapeSource, LinkFault {
  private faults: NetworkFault[] = [];
  private readonly shapes = new Map<LinkDirection, DirectionShape>([
    ['toPeer', NONE],
    ['fromPeer', NONE],
  ]);
  private readonly delayGens = new Map<LinkDirection, CorrelatedDelay>();
  /** the seeds the delay generator of each direction was drawn for */
  private readonly delaySeeds = new Map<LinkDirection, string>();
  private holding = false;
  private resetProbability = 0;
  private resetBy = '';
  private resetRandom: Random = Math.random;
  private resetTimer?: NodeJS.Timeout;
  private readonly listeners = new Set<() => void>();
  private key = '';

  constructor(
    /** the peer node, or "control-plane" */
    readonly peer: string,
    private readonly link: ShapedLink,
    private readonly log: Logger,
    private readonly stageOptions: StageOptions = {},
  ) {}

  /** Whether any fault is set. */
  get active(): boolean {
    return this.faults.length > 0;
  }

  /** The faults set now. */
  current(): readonly NetworkFault[] {
    return this.faults;
  }

  /** Replaces the faults on this link (an empty list heals it). */
  update(faults: NetworkFault[]): void {
    const key = JSON.stringify(faults);
    if (key === this.key) return;
    this.key = key;
    const before = this.faults;
    this.faults = faults;
    this.recompute();
    this.link.setFault(faults.length > 0 ? this : undefined);
    this.interposeLive();
    this.scheduleResets();
    for (const l of [...this.listeners]) l();
    if (faults.length > 0)
      this.log.info('network fault set', { peer: this.peer, faults: faults.map((f) => `${f.action}/${f.direction} (${f.chaos})`).join(', ') });
    else if (before.length > 0) this.log.info('network fault healed', { peer: this.peer });
  }

  private recompute(): void {
    for (const d of DIRECTIONS) {
      // What each action does to the bytes is the action's business (the fault table); the stages carry it out.
      const shape = trafficShape(this.faults.filter((f) => affects(f, d)));
      const old = this.shapes.get(d)!;
      // A bucket lives as long as its rate: changing other faults must not refill it.
      const rate = shape.bytesPerSecond;
      const bucket = rate === undefined ? undefined : old.bucket?.bytesPerSecond === rate ? old.bucket : new TokenBucket(rate, Date.now());
      this.shapes.set(d, { held: shape.held, latencyMs: shape.latencyMs, jitterMs: shape.jitterMs, correlation: shape.correlation, bucket });
      const seeds = shape.delaySeeds.join(',');
      if (shape.delaySeeds.length > 0 && (!this.delayGens.has(d) || seeds !== this.delaySeeds.get(d)))
        this.delayGens.set(d, new CorrelatedDelay(seededRandom(deriveSeed(shape.delaySeeds[0]!, 'delay', d))));
      this.delaySeeds.set(d, seeds);
    }
    this.holding = DIRECTIONS.some((d) => this.shapes.get(d)!.held);
    const { resets } = connectionEffect(this.faults);
    // Independent resets combine: the chance that at least one of them fires.
    this.resetProbability = 1 - resets.reduce((q, r) => q * (1 - r.probability), 1);
    this.resetBy = resets.map((r) => r.chaos).join(', ');
    const seed = resets[0]?.seed;
    if (seed !== undefined && this.resetTimer === undefined) this.resetRandom = seededRandom(deriveSeed(seed, 'reset'));
  }

  // ---- ShapeSource -------------------------------------------------------------------------------

  shape(direction: LinkDirection): DirectionShape {
    return this.shapes.get(direction)!;
  }

  holdsNew(): boolean {
    return this.holding;
  }

  delays(direction: LinkDirection): CorrelatedDelay {
    let g = this.delayGens.get(direction);
    if (!g) this.delayGens.set(direction, (g = new CorrelatedDelay(Math.random)));
    return g;
  }

  subscribe(onChange: () => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  // ---- LinkFault ---------------------------------------------------------------------------------

  admit(_info: LinkConnectionInfo): Error | undefined {
    if (this.resetProbability > 0 && this.resetRandom() < this.resetProbability) return new ChaosResetError(this.resetBy);
    return undefined;
  }

  /** A stage for a direction that is shaped now (or for both, while new connections are held). */
  stage(direction: LinkDirection, _info?: LinkConnectionInfo): Duplex | undefined {
    if (!this.isShaped(direction) && !this.holding) return undefined;
    return new FaultStage(this, direction, this.stageOptions);
  }

  private isShaped(direction: LinkDirection): boolean {
    const s = this.shape(direction);
    return s.held || s.latencyMs > 0 || s.jitterMs > 0 || s.bucket !== undefined;
  }

  /** Puts stages into live connections that have none where this link is now shaped. */
  private interposeLive(): void {
    for (const c of this.link.connections()) {
      if (!c.interpose) continue;
      for (const d of DIRECTIONS) {
        if (!this.isShaped(d)) continue;
        // An open connection stalls only where a hold applies, not both ways as a new one would.
        const st = new FaultStage(this, d, { ...this.stageOptions, existing: true });
        if (!c.interpose(d, st)) st.destroy();
      }
    }
  }

  private scheduleResets(): void {
    if (this.resetProbability <= 0) {
      clearInterval(this.resetTimer);
      this.resetTimer = undefined;
      return;
    }
    if (this.resetTimer) return;
    this.resetTimer = setInterval(() => {
      for (const c of this.link.connections()) if (this.resetRandom() < this.resetProbability) c.destroy(new ChaosResetError(this.resetBy));
    }, RESET_TICK_MS);
    this.resetTimer.unref();
  }

  /** Heals and stops timers (agent shutdown). */
  close(): void {
    this.update([]);
    clearInterval(this.resetTimer);
    this.resetTimer = undefined;
  }
}
