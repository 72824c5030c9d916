// The control plane's side of the pod network, against an in-memory store: cluster IP admission,
// the endpoints controller, and the route publisher's snapshot and deltas.

import assert from 'node:assert/strict';
import { FakeClock, silentLogger, type Endpoints, type Node, type Pod, type PodPhase, type Routes, type Service } from '@kip/shared';
import { Registry } from '@kip/controlplane';
import type { ApiError } from '@kip/controlplane';
import { EndpointsController, endpointSubsets } from '@kip/controlplane';
import { StoreEventRecorder } from '@kip/controlplane';
import { ClusterIPAllocator } from '@kip/controlplane';
import { RoutePublisher } from '@kip/controlplane';
import { MemoryStore } from '@kip/controlplane';

function env() {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const registry = new Registry({ store, log: silentLogger, clock });
  registry.addAdmission(new ClusterIPAllocator(store).admit);
  const recorder = new StoreEventRecorder(store, { component: 'test', clock });
  const endpoints = new EndpointsController({ store, registry, recorder, log: silentLogger, clock });
  return { clock, store, registry, endpoints };
}

function service(name: string, ports: Service['spec']['ports'] = [{ port: 80, targetPort: 'http' }], extra: Partial<Service['spec']> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: { selector: { app: name }, ports, ...extra },
  };
}

function pod(name: string, app: string, opts: { ip?: string; node?: string; ready?: boolean; port?: number; deleting?: boolean; phase?: PodPhase } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app }, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:30Z' } : {}) },
    spec: { nodeName: opts.node ?? 'node-1', containers: [{ name: 'web', image: 'http-echo', ports: [{ name: 'http', containerPort: opts.port ?? 8080 }] }] },
    status: {
      phase: opts.phase ?? 'Running',
      podIP: opts.ip,
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

describe('cluster IP admission', function () {
  it('gives each service its own address in 10.96.0.0/16 and keeps it on update', function () {
    const { registry } = env();
    const a = registry.create<Service>(service('a'));
    const b = registry.create<Service>(service('b'));
    assert.match(a.spec.clusterIP!, /^10\.96\.\d+\.\d+$/);
    assert.notEqual(a.spec.clusterIP, b.spec.clusterIP);
    const changed = structuredClone(a);
    delete changed.spec.clusterIP;
    changed.spec.ports = [{ port: 81 }];
    assert.equal(registry.update<Service>(changed).spec.clusterIP, a.spec.clusterIP);
  });

  it('refuses an address already taken, and a change of address, naming spec.clusterIP', function () {
    const { registry } = env();
    const a = registry.create<Service>(service('a'));
    assert.throws(
      () => registry.create(service('b', undefined, { clusterIP: a.spec.clusterIP })),
      (e: ApiError) => e.code === 400 && /spec\.clusterIP.*already allocated/.test(e.message),
    );
    const moved = structuredClone(a);
    moved.spec.clusterIP = '10.96.9.9';
    assert.throws(
      () => registry.update(moved),
      (e: ApiError) => /spec\.clusterIP.*immutable/.test(e.message),
    );
  });
});

describe('endpoints', function () {
  it('resolves a named target port per pod and splits ready from not-ready addresses', function () {
    const svc = service('web');
    const subsets = endpointSubsets(svc, [
      pod('w1', 'web', { ip: '10.244.1.2', node: 'node-1' }),
      pod('w2', 'web', { ip: '10.244.2.2', node: 'node-2', ready: false }),
      pod('w3', 'web', { ip: '10.244.3.2', node: 'node-3', port: 9090 }),
      pod('w4', 'web', { ip: '10.244.3.3', node: 'node-3', deleting: true }),
      pod('w5', 'web', { ip: '10.244.3.4', node: 'node-3', phase: 'Failed' }),
      pod('w6', 'web', {}),
    ]);
    assert.deepEqual(subsets, [
      {
        addresses: [{ ip: '10.244.1.2', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'w1', uid: undefined } }],
        notReadyAddresses: [{ ip: '10.244.2.2', nodeName: 'node-2', targetRef: { kind: 'Pod', namespace: 'default', name: 'w2', uid: undefined } }],
        ports: [{ name: '', port: 8080, protocol: 'TCP' }],
      },
      {
        addresses: [{ ip: '10.244.3.2', nodeName: 'node-3', targetRef: { kind: 'Pod', namespace: 'default', name: 'w3', uid: undefined } }],
        ports: [{ name: '', port: 9090, protocol: 'TCP' }],
      },
    ]);
  });

  it('keeps one Endpoints object per service, and removes it with the service', function () {
    const { store, registry, endpoints } = env();
    registry.create(service('web'));
    store.create(pod('w1', 'web', { ip: '10.244.1.2' }));
    store.create(pod('other', 'db', { ip: '10.244.1.3' }));
    endpoints.reconcile('default/web');
    const ep = store.get<Endpoints>('Endpoints', 'default', 'web')!;
    assert.deepEqual(
      ep.subsets?.[0]?.addresses?.map((a) => a.ip),
      ['10.244.1.2'],
    );
    assert.equal(ep.metadata.labels?.app, 'web');
    const rv = ep.metadata.resourceVersion;
    endpoints.reconcile('default/web');
    assert.equal(store.get<Endpoints>('Endpoints', 'default', 'web')!.metadata.resourceVersion, rv, 'no write when nothing changed');
    registry.delete('Service', 'default', 'web');
    endpoints.reconcile('default/web');
    assert.equal(store.get('Endpoints', 'default', 'web'), undefined);
  });
});

describe('the route publisher', function () {
  function setup() {
    const e = env();
    const sent: Routes[] = [];
    const pub = new RoutePublisher(e.store, { broadcast: (r) => sent.push(r) }, silentLogger, { clock: e.clock, batchMs: 100 });
    pub.start();
    return { ...e, sent, pub };
  }

  it('publishes services with their endpoints and nodes with their pod ranges and tunnels, and no pods', function () {
    const { store, registry, endpoints, pub } = setup();
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1' },
      spec: { podCIDR: '10.244.1.0/24' },
      status: { nodeInfo: { agentPid: 1, operatingSystem: 'linux', architecture: 'x64', kubeletVersion: 'v', tunnelEndpoint: '127.0.0.1:4000' } },
    };
    store.create(node);
    registry.create(service('web'));
    store.create(pod('w1', 'web', { ip: '10.244.1.2' }));
    endpoints.reconcile('default/web');
    const snap = pub.snapshot();
    assert.equal(snap.full, true);
    assert.deepEqual(snap.nodes, [{ name: 'node-1', tunnel: '127.0.0.1:4000', podCIDR: '10.244.1.0/24' }]);
    assert.equal('pods' in snap, false, 'a pod IP is routed by the range of its node');
    const svc = snap.services![0]!;
    assert.equal(svc.name, 'web');
    assert.deepEqual(svc.ports[0]!.endpoints, [{ ip: '10.244.1.2', port: 8080, node: 'node-1', pod: 'w1', ready: true }]);
  });

  it('takes a pod marked for deletion out of its services in the same write, before anyone is told to stop it', function () {
    const { store, registry, endpoints, sent } = setup();
    registry.create(service('web'));
    const p = store.create(pod('w1', 'web', { ip: '10.244.1.2' }));
    endpoints.reconcile('default/web');
    sent.length = 0;
    const deleting = structuredClone(p);
    deleting.metadata.deletionTimestamp = '2026-01-01T00:00:30Z';
    let routedFirst = false;
    store.watch({ kind: 'Pod' }, () => {
      routedFirst = sent.some((r) => r.services?.some((s) => s.ports[0]!.endpoints.every((e) => !e.ready)));
    });
    store.update(deleting);
    assert.ok(routedFirst, 'the routing delta went out before later pod watchers ran');
  });

  it('takes a deleted pod out of its services at once, and sends the removal of a service', function () {
    const { store, registry, endpoints, sent } = setup();
    registry.create(service('web'));
    store.create(pod('w1', 'web', { ip: '10.244.1.2' }));
    endpoints.reconcile('default/web');
    sent.length = 0;
    store.delete('Pod', 'default', 'w1');
    assert.deepEqual(
      sent.flatMap((r) => r.services ?? []).flatMap((s) => s.ports[0]!.endpoints),
      [{ ip: '10.244.1.2', port: 8080, node: 'node-1', pod: 'w1', ready: false }],
    );
    registry.delete('Service', 'default', 'web');
    assert.ok(sent.some((r) => r.removeServices?.includes('default/web')));
  });

  it('gathers endpoints that turn ready into one delta per batch window, and sends nothing for a pod alone', function () {
    const { store, registry, endpoints, sent, clock } = setup();
    registry.create(service('web'));
    endpoints.reconcile('default/web');
    clock.advance(100);
    sent.length = 0;
    for (let i = 2; i < 52; i++) store.create(pod(`w${i}`, 'web', { ip: `10.244.1.${i}` }));
    assert.equal(sent.length, 0, 'pods that start cost no message to the agents');
    endpoints.reconcile('default/web');
    assert.equal(sent.length, 0, 'new endpoints wait for the batch window');
    clock.advance(100);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.services?.[0]?.ports[0]?.endpoints.filter((e) => e.ready).length, 50);
    clock.advance(1000);
    assert.equal(sent.length, 1, 'nothing more to send');
  });
});
