// Node Leases shared by control planes on one store: the control plane an agent talks to renews
// its node's Lease (at most once a heartbeat interval), and every control plane, the leader
// included, sees when each Lease last changed, by its own clock.

import assert from 'node:assert/strict';
import { FakeClock, NODE_LEASE_NAMESPACE, silentLogger, type Lease } from '@kip/shared';
import { MemoryStore, NodeLeases } from '@kip/controlplane';

describe('controlplane/api/node-leases', () => {
  it('renews a node Lease on heartbeats, throttled, and another control plane on the store sees it renewed', () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const opts = { store, clock, log: silentLogger, renewEveryMs: 1000, leaseDurationMs: 4000 };
    const holding = new NodeLeases(opts);
    const leader = new NodeLeases(opts);
    holding.start();
    leader.start();
    assert.equal(leader.lastRenewMs('node-1'), undefined, 'never heard of');

    holding.renew('node-1');
    const first = store.get<Lease>('Lease', NODE_LEASE_NAMESPACE, 'node-1');
    assert.equal(first?.spec?.holderIdentity, 'node-1');
    assert.equal(first?.spec?.leaseDurationSeconds, 4);
    assert.equal(leader.lastRenewMs('node-1'), clock.now());

    clock.advance(300);
    holding.renew('node-1');
    assert.equal(store.get<Lease>('Lease', NODE_LEASE_NAMESPACE, 'node-1')?.metadata.resourceVersion, first?.metadata.resourceVersion, 'throttled');
    assert.equal(leader.lastRenewMs('node-1'), clock.now() - 300);

    clock.advance(800);
    holding.renew('node-1');
    assert.notEqual(store.get<Lease>('Lease', NODE_LEASE_NAMESPACE, 'node-1')?.metadata.resourceVersion, first?.metadata.resourceVersion);
    assert.equal(leader.lastRenewMs('node-1'), clock.now());
    holding.stop();
    leader.stop();
  });
});
