// Leader election over a Lease in the store, driven by fake clocks: acquiring a free lease,
// renewing it, giving up leading when renewals fail for renewDeadline, a standby taking over only
// once the lease has not changed for a lease duration, releasing on stop, and, under random
// partitions, never two leaders at once.

import assert from 'node:assert/strict';
import { FakeClock, silentLogger, type KObject, type Lease } from '@kip/shared';
import { CONTROLLER_LEASE, LEADER_ELECTION_PROFILES, LeaderElector, MemoryStore, type Store } from '@kip/controlplane';

const TIMING = LEADER_ELECTION_PROFILES.fast;

/** A store a candidate reaches through a link that can be cut (its writes and reads fail). */
function linkTo(store: Store): { store: Store; cut: boolean } {
  const link = { cut: false, store: undefined as unknown as Store };
  link.store = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (link.cut && (prop === 'get' || prop === 'create' || prop === 'update')) throw new Error('etcd unreachable');
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return link;
}

interface Candidate {
  elector: LeaderElector;
  link: { store: Store; cut: boolean };
  started: number;
  stopped: number;
}

function candidate(store: Store, clock: FakeClock, identity: string): Candidate {
  const link = linkTo(store);
  const c: Candidate = { link, started: 0, stopped: 0, elector: undefined as unknown as LeaderElector };
  c.elector = new LeaderElector({
    store: link.store,
    clock,
    log: silentLogger,
    identity,
    timing: TIMING,
    onStartedLeading: () => c.started++,
    onStoppedLeading: () => c.stopped++,
  });
  return c;
}

function lease(store: Store): Lease {
  const l = store.get<Lease>('Lease', CONTROLLER_LEASE.namespace, CONTROLLER_LEASE.name);
  assert.ok(l, 'the lease exists');
  return l;
}

describe('controlplane/leader/leader-election', () => {
  let store: MemoryStore;
  let clock: FakeClock;

  beforeEach(() => {
    clock = new FakeClock();
    store = new MemoryStore({ clock });
  });

  it('refuses timing where the leader could outlive its lease', () => {
    assert.throws(
      () =>
        new LeaderElector({
          store,
          clock,
          log: silentLogger,
          identity: 'a',
          timing: { leaseDurationMs: 1000, renewDeadlineMs: 2000, retryPeriodMs: 100 },
          onStartedLeading() {},
          onStoppedLeading() {},
        }),
      /renewDeadline < leaseDuration/,
    );
  });

  it('acquires a lease nobody holds and records itself as holder', () => {
    const a = candidate(store, clock, 'cp-a');
    a.elector.start();
    assert.equal(a.elector.isLeader(), true);
    assert.equal(a.started, 1);
    const l = lease(store);
    assert.equal(l.apiVersion, 'coordination.k8s.io/v1');
    assert.equal(l.spec?.holderIdentity, 'cp-a');
    assert.equal(l.spec?.leaseDurationSeconds, 3);
    assert.equal(l.spec?.leaseTransitions, 0);
    assert.match(l.spec?.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('renews every retry period, keeping acquireTime, while a standby waits', () => {
    const a = candidate(store, clock, 'cp-a');
    const b = candidate(store, clock, 'cp-b');
    a.elector.start();
    b.elector.start();
    const first = lease(store);
    clock.advance(10_000);
    const later = lease(store);
    assert.equal(later.spec?.holderIdentity, 'cp-a');
    assert.equal(later.spec?.acquireTime, first.spec?.acquireTime);
    assert.notEqual(later.spec?.renewTime, first.spec?.renewTime);
    assert.ok(Number(later.metadata.resourceVersion) > Number(first.metadata.resourceVersion));
    assert.equal(a.elector.isLeader(), true);
    assert.equal(b.elector.isLeader(), false);
    assert.equal(b.elector.leader(), 'cp-a');
    assert.equal(b.started, 0);
  });

  it('stops leading once it could not renew for renewDeadline, not before', () => {
    const a = candidate(store, clock, 'cp-a');
    a.elector.start();
    a.link.cut = true;
    clock.advance(TIMING.renewDeadlineMs - TIMING.retryPeriodMs);
    assert.equal(a.elector.isLeader(), true, 'still within renewDeadline');
    clock.advance(TIMING.retryPeriodMs);
    assert.equal(a.elector.isLeader(), false);
    assert.equal(a.stopped, 1);
  });

  it('lets a standby take over a lease that stopped changing for a lease duration (the leader died)', () => {
    const deadClock = new FakeClock(clock.now());
    const a = candidate(store, deadClock, 'cp-a'); // its clock never moves again: a process killed with -9
    const b = candidate(store, clock, 'cp-b');
    a.elector.start();
    b.elector.start();
    assert.equal(b.elector.isLeader(), false);
    clock.advance(TIMING.leaseDurationMs - TIMING.retryPeriodMs);
    assert.equal(b.elector.isLeader(), false, 'the lease is not expired yet');
    clock.advance(TIMING.retryPeriodMs * 2);
    assert.equal(b.elector.isLeader(), true);
    const l = lease(store);
    assert.equal(l.spec?.holderIdentity, 'cp-b');
    assert.equal(l.spec?.leaseTransitions, 1);
  });

  it('a deposed leader that comes back sees the new holder and stops leading at once', () => {
    const aClock = new FakeClock(clock.now());
    const a = candidate(store, aClock, 'cp-a');
    const b = candidate(store, clock, 'cp-b');
    a.elector.start();
    b.elector.start();
    clock.advance(TIMING.leaseDurationMs + TIMING.retryPeriodMs);
    assert.equal(b.elector.isLeader(), true);
    assert.equal(a.elector.isLeader(), true, 'a was paused (SIGSTOP) and has not looked yet');
    aClock.advance(TIMING.retryPeriodMs);
    assert.equal(a.elector.isLeader(), false);
    assert.equal(a.stopped, 1);
    assert.equal(lease(store).spec?.holderIdentity, 'cp-b');
  });

  it('releases the lease on stop, so a standby takes over within one retry period', () => {
    const a = candidate(store, clock, 'cp-a');
    const b = candidate(store, clock, 'cp-b');
    a.elector.start();
    b.elector.start();
    clock.advance(5000);
    a.elector.stop();
    assert.equal(a.stopped, 1);
    assert.equal(lease(store).spec?.holderIdentity, '');
    clock.advance(TIMING.retryPeriodMs);
    assert.equal(b.elector.isLeader(), true);
  });

  it('of two candidates racing for an expired lease, exactly one wins (resourceVersion compare-and-swap)', () => {
    const a = candidate(store, clock, 'cp-a');
    // Both read the same lease; the first update wins, the second's read is stale.
    store.create<KObject>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { ...CONTROLLER_LEASE }, spec: { holderIdentity: '' } } as KObject);
    const read = lease(store);
    const stale = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'get') return () => read;
        return Reflect.get(target, prop, receiver);
      },
    });
    const bStale = new LeaderElector({
      store: stale,
      clock,
      log: silentLogger,
      identity: 'cp-b',
      timing: TIMING,
      onStartedLeading() {},
      onStoppedLeading() {},
    });
    assert.equal(a.elector.tryAcquireOrRenew(), true);
    assert.equal(bStale.tryAcquireOrRenew(), false, 'the stale write is a Conflict');
    assert.equal(lease(store).spec?.holderIdentity, 'cp-a');
  });

  it('never has two leaders under random partitions and pauses (seeded)', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const clocks = [new FakeClock(clock.now()), new FakeClock(clock.now()), new FakeClock(clock.now())];
    const cs = clocks.map((c, i) => candidate(store, c, `cp-${i}`));
    for (const c of cs) c.elector.start();
    const paused = [false, false, false];
    let transitions = 0;
    let last: string | undefined;
    for (let t = 0; t < 2000; t++) {
      for (let i = 0; i < cs.length; i++) {
        if (random() < 0.01) cs[i].link.cut = !cs[i].link.cut;
        if (random() < 0.005) paused[i] = !paused[i];
        // A paused process's clock still moves (time passes) but none of its timers run until it resumes.
        if (paused[i]) clocks[i].stall(100);
        else clocks[i].advance(100);
      }
      const leaders = cs.filter((c, i) => c.elector.isLeader() && !paused[i]);
      assert.ok(leaders.length <= 1, `two leaders at step ${t}: ${leaders.map((c) => c.elector.identity).join(', ')}`);
      const holder = store.get<Lease>('Lease', CONTROLLER_LEASE.namespace, CONTROLLER_LEASE.name)?.spec?.holderIdentity;
      if (holder !== last) transitions++;
      last = holder;
    }
    assert.ok(transitions > 2, `leadership moved ${transitions} times: the faults exercised takeovers`);
  });
});
