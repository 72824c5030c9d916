// The agent's routing table: snapshots replace everything, deltas add, replace and remove, and
// lookups by name, cluster IP, node, and pod IP (by the node's pod range) follow.

import assert from 'node:assert/strict';
import { RoutingTable } from '@kip/agent';
import { delta, endpoint, serviceRoute, snapshot } from './fixtures.js';

describe('proxy: routing table', () => {
  it('a snapshot fills the table and reports every service as changed', () => {
    const t = new RoutingTable();
    assert.equal(t.hasSynced, false);
    const change = t.apply(
      snapshot(
        [serviceRoute('web', [endpoint('web-1', '10.244.1.2', 'node-1')]), serviceRoute('db', [], { clusterIP: '10.96.0.11' })],
        [{ name: 'node-1', tunnel: '127.0.0.1:4001', podCIDR: '10.244.1.0/24' }],
      ),
    );
    assert.deepEqual(change.servicesChanged.sort(), ['default/db', 'default/web']);
    assert.deepEqual(change.servicesRemoved, []);
    assert.equal(t.hasSynced, true);
    assert.equal(t.service('default', 'web')?.clusterIP, '10.96.0.10');
    assert.equal(t.serviceByClusterIP('10.96.0.11')?.name, 'db');
    assert.equal(t.nodeForPodIP('10.244.1.2'), 'node-1');
    assert.equal(t.nodeForPodIP('10.244.2.2'), undefined, 'no node has that range');
    assert.equal(t.nodeForPodIP('not-an-ip'), undefined);
    assert.equal(t.node('node-1')?.tunnel, '127.0.0.1:4001');
    assert.deepEqual(
      t.servicesIn('default').map((s) => s.name),
      ['db', 'web'],
    );
    assert.deepEqual(t.servicesIn('other'), []);
  });

  it('a later snapshot removes whatever it does not list', () => {
    const t = new RoutingTable();
    t.apply(snapshot([serviceRoute('web', []), serviceRoute('db', [], { clusterIP: '10.96.0.11' })], [{ name: 'node-1', podCIDR: '10.244.1.0/24' }]));
    const change = t.apply(snapshot([serviceRoute('web', [])]));
    assert.deepEqual(change.servicesRemoved, ['default/db']);
    assert.equal(t.service('default', 'db'), undefined);
    assert.equal(t.serviceByClusterIP('10.96.0.11'), undefined);
    assert.equal(t.nodeForPodIP('10.244.1.2'), undefined);
    assert.equal(t.node('node-1'), undefined);
  });

  it('deltas add, replace and remove services and nodes', () => {
    const t = new RoutingTable();
    t.apply(snapshot([serviceRoute('web', [])], [{ name: 'node-1', podCIDR: '10.244.1.0/24' }]));
    let change = t.apply(delta({ services: [serviceRoute('web', [endpoint('web-1', '10.244.1.2', 'node-1')], { clusterIP: '10.96.0.20' })] }));
    assert.deepEqual(change, { servicesChanged: ['default/web'], servicesRemoved: [] });
    assert.equal(t.service('default', 'web')?.ports[0]?.endpoints.length, 1);
    assert.equal(t.serviceByClusterIP('10.96.0.10'), undefined, 'the old cluster IP no longer resolves');
    assert.equal(t.serviceByClusterIP('10.96.0.20')?.name, 'web');
    t.apply(delta({ nodes: [{ name: 'node-2', tunnel: '127.0.0.1:4002', podCIDR: '10.244.2.0/24' }] }));
    assert.equal(t.nodeForPodIP('10.244.2.9'), 'node-2');
    assert.equal(t.node('node-2')?.tunnel, '127.0.0.1:4002');
    change = t.apply(delta({ removeServices: ['default/web', 'default/nope'], removeNodes: ['node-1'] }));
    assert.deepEqual(change, { servicesChanged: [], servicesRemoved: ['default/web'] });
    assert.equal(t.service('default', 'web'), undefined);
    assert.equal(t.nodeForPodIP('10.244.1.2'), undefined, 'a removed node takes its range with it');
    assert.equal(t.node('node-1'), undefined);
    assert.equal(t.node('node-2')?.name, 'node-2');
  });

  it('an endpoint takes new connections only while the control plane says it is ready', () => {
    const t = new RoutingTable();
    const e = endpoint('web-1', '10.244.1.2', 'node-1');
    t.apply(snapshot([serviceRoute('web', [e])]));
    assert.equal(t.usable(e), true);
    assert.equal(t.usable({ ...e, ready: false }), false);
  });

  it('a local pod marked for deletion stops taking connections before the control plane says so', () => {
    const t = new RoutingTable();
    const e = endpoint('web-1', '10.244.1.2', 'node-1');
    t.apply(snapshot([serviceRoute('web', [e])]));
    t.markDeleting('10.244.1.2', 'web-1');
    assert.equal(t.usable(e), false);
    assert.equal(t.usable({ ...e, pod: 'web-2' }), true, 'the mark is for that pod only, not for a later pod at its address');
    t.podGone('10.244.1.2');
    assert.equal(t.usable(e), true, 'the mark goes with the pod');
  });
});
