// Leader election among control planes, as client-go's leaderelection does it: one Lease object
// (coordination.k8s.io/v1) in the shared store names the holder; the holder renews it every retry
// period, the others try to take it every retry period and succeed only once it has not changed for
// a whole lease duration. Every write is a compare-and-swap on the Lease's resourceVersion, so
// of two candidates that both see an expired lease exactly one wins.
//
// Time is judged as client-go judges it: a candidate measures a lease's age from when IT saw the
// record change (its own clock), never from renewTime (another machine's clock). The holder gives
// up leading when it has not renewed for renewDeadline, which is shorter than leaseDuration, so it
// stops before any other candidate may take over: never two leaders at once.

import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Clock, Lease, Logger, TimerHandle } from '@kip/shared';
import { StoreError, type Store } from '../store/store.js';

export interface LeaderElectionTiming {
  /** How long a lease that stopped changing keeps others from taking it. */
  leaseDurationMs: number;
  /** How long the leader keeps trying to renew before it stops leading. */
  renewDeadlineMs: number;
  /** How often every candidate tries to acquire or renew. */
  retryPeriodMs: number;
}

/**
 * client-go's (and kube-controller-manager's) defaults are 15 s / 10 s / 2 s; the fast profile
 * scales them down five times so that a standby takes over about 3 s after the leader died.
 */
export const LEADER_ELECTION_PROFILES: Record<'fast' | 'kubernetes', LeaderElectionTiming> = {
  fast: { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 400 },
  kubernetes: { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 },
};

/** The Lease kube-controller-manager would hold; kip's controllers and scheduler run under one. */
export const CONTROLLER_LEASE = { namespace: 'kube-system', name: 'kip-controller-manager' } as const;

/** A control plane's identity as Kubernetes forms it: the host name and a unique suffix. */
export function newIdentity(): string {
  return `${os.hostname()}_${randomBytes(4).toString('hex')}`;
}

export interface LeaderElectorOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  identity: string;
  lease?: { namespace: string; name: string };
  timing: LeaderElectionTiming;
  onStartedLeading(): void;
  /** Called at once when leadership is lost (or released): stop everything leading started. */
  onStoppedLeading(): void;
  /** The holder changed, as this candidate observed it (undefined: nobody holds it). */
  onNewLeader?(identity: string | undefined): void;
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}

export class LeaderElector {
  private leading = false;
  private running = false;
  private lastRenewMs = 0;
  /** The lease as last read, and when (by this clock) it was seen to change. */
  private observed?: { resourceVersion: string; holder: string; durationMs: number; atMs: number };
  private timer?: TimerHandle;
  private readonly lease: { namespace: string; name: string };

  constructor(private readonly opts: LeaderElectorOptions) {
    const t = opts.timing;
    if (!(t.retryPeriodMs < t.renewDeadlineMs && t.renewDeadlineMs < t.leaseDurationMs))
      throw new Error('leader election: retryPeriod < renewDeadline < leaseDuration must hold');
    this.lease = opts.lease ?? CONTROLLER_LEASE;
  }

  get identity(): string {
    return this.opts.identity;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder this candidate last observed. */
  leader(): string | undefined {
    return this.observed?.holder || undefined;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.step();
  }

  /** Stops campaigning; a leader releases the lease so that a standby need not wait for it to expire. */
  stop(): void {
    this.running = false;
    this.opts.clock.clearTimeout(this.timer);
    if (!this.leading) return;
    this.release();
    this.leading = false;
    this.opts.onStoppedLeading();
  }

  /** One attempt, then the next one a retry period later. Exposed for tests driving a FakeClock. */
  step(): void {
    if (!this.running) return;
    const held = this.tryAcquireOrRenew();
    const now = this.opts.clock.now();
    if (held) {
      this.lastRenewMs = now;
      if (!this.leading) {
        this.leading = true;
        this.opts.log.info('became leader', { lease: `${this.lease.namespace}/${this.lease.name}`, identity: this.opts.identity });
        this.opts.onStartedLeading();
      }
    } else if (this.leading) {
      const takenOver = this.observed !== undefined && this.observed.holder !== this.opts.identity;
      if (takenOver || now - this.lastRenewMs >= this.opts.timing.renewDeadlineMs) {
        this.leading = false;
        this.opts.log.warn('lost leadership', {
          lease: `${this.lease.namespace}/${this.lease.name}`,
          reason: takenOver ? `now held by ${this.observed!.holder}` : `not renewed for ${now - this.lastRenewMs} ms`,
        });
        this.opts.onStoppedLeading();
      }
    }
    if (this.running) this.timer = this.opts.clock.setTimeout(() => this.step(), this.opts.timing.retryPeriodMs);
  }

  /** client-go's tryAcquireOrRenew: true if this candidate holds the lease after the call. */
  tryAcquireOrRenew(): boolean {
    const { store, clock, identity, timing } = this.opts;
    const now = clock.now();
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(timing.leaseDurationMs / 1000)),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    try {
      const current = store.get<Lease>('Lease', this.lease.namespace, this.lease.name);
      if (!current) {
        const created = store.create<Lease>({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.lease.name, namespace: this.lease.namespace },
          spec,
        });
        this.observe(created, now);
        return true;
      }
      this.observe(current, now);
      const holder = current.spec?.holderIdentity ?? '';
      const expired = now >= this.observed!.atMs + this.observed!.durationMs;
      if (holder !== '' && holder !== identity && !expired) return false;
      if (holder === identity) {
        spec.acquireTime = current.spec?.acquireTime ?? spec.acquireTime;
        spec.leaseTransitions = current.spec?.leaseTransitions ?? 0;
      } else {
        spec.leaseTransitions = (current.spec?.leaseTransitions ?? 0) + 1;
      }
      // The update carries the resourceVersion read: a write by anyone since makes it a Conflict.
      const updated = store.update<Lease>({ ...current, spec });
      this.observe(updated, now);
      return true;
    } catch (err) {
      if (!(err instanceof StoreError)) this.opts.log.warn('leader election: cannot reach the lease', { error: err });
      return false;
    }
  }

  private observe(lease: Lease, now: number): void {
    const rv = lease.metadata.resourceVersion ?? '';
    if (this.observed?.resourceVersion === rv) return;
    const holder = lease.spec?.holderIdentity ?? '';
    const changedHolder = this.observed?.holder !== holder;
    this.observed = { resourceVersion: rv, holder, durationMs: (lease.spec?.leaseDurationSeconds ?? 1) * 1000, atMs: now };
    if (changedHolder) this.opts.onNewLeader?.(holder || undefined);
  }

  /** client-go's ReleaseOnCancel: an empty holder, so the next candidate takes over at once. */
  private release(): void {
    try {
      const current = this.opts.store.get<Lease>('Lease', this.lease.namespace, this.lease.name);
      if (current?.spec?.holderIdentity !== this.opts.identity) return;
      const now = this.opts.clock.now();
      this.opts.store.update<Lease>({
        ...current,
        spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now), acquireTime: microTime(now) },
      });
    } catch (err) {
      this.opts.log.warn('leader election: could not release the lease', { error: err });
    }
  }
}
