// Service types NodePort, LoadBalancer and ExternalName, in their pure parts: the node port
// allocator (allocate, reuse, release, exhaustion, duplicates), the type-dependent field rules in
// the API server's words, the load balancer's address choice, what each node listens on, and how
// kubectl prints them.

import assert from 'node:assert/strict';
import {
  dropTypeDependentFields,
  FakeClock,
  silentLogger,
  type Node,
  kindDefinition,
  serviceExternalIP,
  servicePorts,
  serviceTypeErrors,
  validateObject,
  type Service,
  type ServiceRoute,
} from '@kip/shared';
import {
  ApiError,
  ClusterIPAllocator,
  decideAddress,
  LoadBalancerController,
  MemoryStore,
  NodePortAllocator,
  parsePortRange,
  Registry,
  RoutePublisher,
  StoreEventRecorder,
} from '@kip/controlplane';
import { desiredListeners } from '@kip/agent';
import { nodeAddress } from '@kip/scripts';
import { parseCidr } from '@kip/shared';

function service(name: string, spec: Partial<Service['spec']>, status?: Record<string, unknown>): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { ports: [{ port: 80 }], ...spec },
    ...(status ? { status } : {}),
  } as Service;
}

/** The message of the ApiError `fn` throws. */
function refusal(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err.message;
  }
  assert.fail('expected a refusal');
}

describe('services: the node port allocator', () => {
  it('gives every port of a NodePort service a free port of the range, and honours a requested one', () => {
    const store = new MemoryStore();
    const ports = new NodePortAllocator(store, { min: 30000, max: 30009 });
    const s = service('web', {
      type: 'NodePort',
      ports: [
        { name: 'a', port: 80 },
        { name: 'b', port: 81, nodePort: 30005 },
      ],
    });
    ports.admit('create', s, undefined);
    const [a, b] = s.spec.ports.map((p) => p.nodePort!);
    assert.ok(a! >= 30000 && a! <= 30009 && a !== 30005, `allocated ${a}`);
    assert.equal(b, 30005);
  });

  it('refuses a port already allocated, out of the range, or twice in one service, in the API server words', () => {
    const store = new MemoryStore();
    const ports = new NodePortAllocator(store);
    const first = service('first', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
    ports.admit('create', first, undefined);
    store.create(first);
    assert.match(
      refusal(() => ports.admit('create', service('second', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }), undefined)),
      /spec\.ports\[0\]\.nodePort: Invalid value: 30080: provided port is already allocated/,
    );
    assert.match(
      refusal(() => ports.admit('create', service('low', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }), undefined)),
      /spec\.ports\[0\]\.nodePort: Invalid value: 80: provided port is not in the valid range\. The range of valid ports is 30000-32767/,
    );
    const twice = service('twice', {
      type: 'NodePort',
      ports: [
        { name: 'a', port: 80, nodePort: 31000 },
        { name: 'b', port: 81, nodePort: 31000 },
      ],
    });
    assert.match(
      refusal(() => ports.admit('create', twice, undefined)),
      /spec\.ports\[1\]\.nodePort: Duplicate value: 31000/,
    );
  });

  it('keeps a port on update, and frees it when the service is deleted or no longer needs it', () => {
    const store = new MemoryStore();
    const ports = new NodePortAllocator(store, { min: 30000, max: 30000 });
    const web = service('web', { type: 'NodePort' });
    ports.admit('create', web, undefined);
    const stored = store.create(web) as Service;
    assert.equal(stored.spec.ports[0]!.nodePort, 30000);
    // A replace that leaves the port out keeps the one it had (the only one there is).
    const replaced = service('web', { type: 'NodePort', ports: [{ port: 80 }] });
    ports.admit('update', replaced, stored);
    assert.equal(replaced.spec.ports[0]!.nodePort, 30000);
    // Turned ClusterIP: the unchanged node port is dropped, and the port is free again.
    const clusterIP = service('web', { type: 'ClusterIP', ports: [{ port: 80, nodePort: 30000 }] });
    dropTypeDependentFields(clusterIP.spec, stored.spec);
    ports.admit('update', clusterIP, stored);
    assert.equal(clusterIP.spec.ports[0]!.nodePort, undefined);
    store.update(clusterIP);
    const other = service('other', { type: 'NodePort' });
    ports.admit('create', other, undefined);
    assert.equal(other.spec.ports[0]!.nodePort, 30000);
    store.create(other);
    store.delete('Service', 'default', 'other');
    const again = service('again', { type: 'LoadBalancer' });
    ports.admit('create', again, undefined);
    assert.equal(again.spec.ports[0]!.nodePort, 30000, 'a deleted service frees its port');
  });

  it('says the range is full when it is', () => {
    const store = new MemoryStore();
    const ports = new NodePortAllocator(store, { min: 30000, max: 30001 });
    for (const name of ['a', 'b']) {
      const s = service(name, { type: 'NodePort' });
      ports.admit('create', s, undefined);
      store.create(s);
    }
    assert.match(
      refusal(() => ports.admit('create', service('c', { type: 'NodePort' }), undefined)),
      /failed to allocate a nodePort: range 30000-30001 is full/,
    );
  });

  it('allocates none for ClusterIP, nor for a LoadBalancer that opts out', () => {
    const store = new MemoryStore();
    const ports = new NodePortAllocator(store);
    for (const s of [service('c', {}), service('lb', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false })]) {
      ports.admit('create', s, undefined);
      assert.equal(s.spec.ports[0]!.nodePort, undefined, s.metadata.name);
    }
  });

  it('reads --service-node-port-range', () => {
    assert.deepEqual(parsePortRange('30000-32767'), { min: 30000, max: 32767 });
    assert.deepEqual(parsePortRange('30080'), { min: 30080, max: 30080 });
    for (const bad of ['', 'a-b', '32767-30000', '0-10', '30000-70000']) assert.equal(parsePortRange(bad), undefined, bad);
  });
});

describe('services: fields that depend on the type', () => {
  const cases: [string, Partial<Service['spec']>, [string, string][]][] = [
    [
      'nodePort on a ClusterIP service',
      { ports: [{ port: 80, nodePort: 30080 }] },
      [['spec.ports[0].nodePort', "Forbidden: may not be used when `type` is 'ClusterIP'"]],
    ],
    [
      'externalTrafficPolicy on a ClusterIP service',
      { externalTrafficPolicy: 'Local' },
      [['spec.externalTrafficPolicy', `Invalid value: "Local": may only be set when \`type\` is 'NodePort' or 'LoadBalancer'`]],
    ],
    [
      'a cluster IP on an ExternalName service',
      { type: 'ExternalName', externalName: 'db.example.com', clusterIP: '10.96.0.40' },
      [['spec.clusterIP', "Forbidden: may not be set for type 'ExternalName'"]],
    ],
    [
      'loadBalancerClass on a NodePort service',
      { type: 'NodePort', loadBalancerClass: 'x' },
      [['spec.loadBalancerClass', "Forbidden: may only be used when `type` is 'LoadBalancer'"]],
    ],
    ['a NodePort service with externalTrafficPolicy Local', { type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ port: 80, nodePort: 30080 }] }, []],
  ];
  for (const [name, spec, want] of cases)
    it(name, () => {
      assert.deepEqual(
        serviceTypeErrors(service('s', spec).spec).map((e) => [e.field, e.message]),
        want,
      );
    });

  it('checks the type, and an ExternalName service external name, as the API server does', () => {
    const errors = (spec: Record<string, unknown>) =>
      validateObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec }).map((e) => `${e.field}: ${e.message}`);
    assert.deepEqual(errors({ type: 'Cluster', ports: [{ port: 80 }] }), [
      'spec.type: Unsupported value: "Cluster": supported values: "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"',
    ]);
    assert.deepEqual(errors({ type: 'ExternalName' }), ['spec.externalName: Required value']);
    assert.match(
      errors({ type: 'ExternalName', externalName: 'Not_A_Name' })[0]!,
      /^spec\.externalName: Invalid value: "Not_A_Name": a lowercase RFC 1123 subdomain/,
    );
    assert.deepEqual(errors({ type: 'ExternalName', externalName: 'db.example.com.' }), [], 'no ports needed, a trailing dot allowed');
    assert.deepEqual(errors({ type: 'ClusterIP', ports: [] }), ['spec.ports: Required value: a service needs at least one port']);
  });

  it('defaults the traffic policy and node port allocation as the API server does', () => {
    const def = kindDefinition('Service')!;
    const lb = service('lb', { type: 'LoadBalancer' });
    def.defaults!(lb);
    assert.equal(lb.spec.externalTrafficPolicy, 'Cluster');
    assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
    const plain = service('c', {});
    def.defaults!(plain);
    assert.equal(plain.spec.externalTrafficPolicy, undefined);
  });

  it('an update that changes the type drops what the new type does not use, but not what the client changed', () => {
    const old = service('s', { type: 'NodePort', clusterIP: '10.96.0.20', externalTrafficPolicy: 'Cluster', ports: [{ port: 80, nodePort: 30080 }] });
    const next = service('s', { type: 'ClusterIP', clusterIP: '10.96.0.20', externalTrafficPolicy: 'Cluster', ports: [{ port: 80, nodePort: 30080 }] });
    dropTypeDependentFields(next.spec, old.spec);
    assert.equal(next.spec.ports[0]!.nodePort, undefined);
    assert.equal(next.spec.externalTrafficPolicy, undefined);
    assert.equal(next.spec.clusterIP, '10.96.0.20', 'the cluster IP stays');
    const changed = service('s', { type: 'ClusterIP', ports: [{ port: 80, nodePort: 30081 }] });
    dropTypeDependentFields(changed.spec, old.spec);
    assert.equal(changed.spec.ports[0]!.nodePort, 30081, 'a changed one stays, for validation to refuse');
  });
});

describe('services: the load balancer address', () => {
  const range = parseCidr('127.0.2.0/29')!;
  it('gives the lowest free address, keeps the one a service has, and honours loadBalancerIP in the range', () => {
    assert.deepEqual(decideAddress(service('a', { type: 'LoadBalancer' }), range, new Set(['127.0.2.1'])), { ip: '127.0.2.2' });
    const has = service('b', { type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ ip: '127.0.2.5' }] } });
    assert.deepEqual(decideAddress(has, range, new Set()), { ip: '127.0.2.5' });
    assert.deepEqual(decideAddress(service('c', { type: 'LoadBalancer', loadBalancerIP: '127.0.2.4' }), range, new Set()), { ip: '127.0.2.4' });
  });

  it('leaves pending what it cannot serve, saying why, and leaves other classes alone', () => {
    assert.deepEqual(decideAddress(service('d', { type: 'LoadBalancer', loadBalancerIP: '10.0.0.1' }), range, new Set()), {
      pending: 'loadBalancerIP 10.0.0.1 is not in the load balancer range 127.0.2.0/29',
    });
    assert.deepEqual(decideAddress(service('e', { type: 'LoadBalancer', loadBalancerIP: '127.0.2.3' }), range, new Set(['127.0.2.3'])), {
      pending: 'loadBalancerIP 127.0.2.3 is already in use by another service',
    });
    const full = new Set(['1', '2', '3', '4', '5', '6'].map((n) => `127.0.2.${n}`));
    assert.deepEqual(decideAddress(service('f', { type: 'LoadBalancer' }), range, full), {
      pending: 'no address left in the load balancer range 127.0.2.0/29',
    });
    assert.deepEqual(decideAddress(service('g', { type: 'LoadBalancer', loadBalancerClass: 'example.com/lb' }), range, new Set()), { none: true });
    assert.deepEqual(decideAddress(service('h', { type: 'NodePort' }), range, new Set()), { none: true });
  });
});

describe('services: what a node listens on', () => {
  const route = (over: Partial<ServiceRoute>): ServiceRoute => ({
    namespace: 'default',
    name: 'web',
    clusterIP: '10.96.0.20',
    sessionAffinity: 'None',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP', nodePort: 30080, endpoints: [] }],
    ...over,
  });
  it('opens every node port on the node address, and a load balancer address only on the node that holds it', () => {
    const lb = route({ loadBalancer: { ips: ['127.0.2.1'], node: 'node-2' } });
    const at = (node: string, ip?: string) => desiredListeners([lb], node, ip).map((l) => `${l.kind} ${l.host}:${l.port}`);
    assert.deepEqual(at('node-1', '127.0.1.1'), ['NodePort 127.0.1.1:30080']);
    assert.deepEqual(at('node-2', '127.0.1.2'), ['NodePort 127.0.1.2:30080', 'LoadBalancer 127.0.2.1:8080']);
    assert.deepEqual(at('node-1'), [], 'no node address (an agent started by hand): no node ports');
    assert.deepEqual(desiredListeners([route({ ports: [{ name: '', port: 80, protocol: 'TCP', endpoints: [] }] })], 'node-1', '127.0.1.1'), []);
  });

  it('gives node-N the loopback address 127.0.1.N', () => {
    assert.equal(nodeAddress('node-1'), '127.0.1.1');
    assert.equal(nodeAddress('node-254'), '127.0.1.254');
    assert.equal(nodeAddress('node-255'), undefined);
    assert.equal(nodeAddress('worker'), undefined);
  });
});

describe('services: as kubectl get prints them', () => {
  it('shows node ports, the load balancer address (pending until there is one) and the external name', () => {
    const np = service('np', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
    assert.equal(servicePorts(np), '80:30080/TCP');
    assert.equal(serviceExternalIP(np), '<none>');
    assert.equal(serviceExternalIP(service('lb', { type: 'LoadBalancer' })), '<pending>');
    assert.equal(serviceExternalIP(service('lb', { type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ ip: '127.0.2.1' }] } })), '127.0.2.1');
    assert.equal(serviceExternalIP(service('ext', { type: 'ExternalName', externalName: 'db.example.com', ports: [] })), 'db.example.com');
    assert.equal(servicePorts(service('ext', { type: 'ExternalName', externalName: 'db.example.com', ports: [] })), '<none>');
  });
});

describe('services: through the registry and the route publisher', () => {
  function node(name: string, ready: boolean): Node {
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name },
      spec: {},
      status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    } as Node;
  }

  function setup() {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const registry = new Registry({ store, log: silentLogger, clock });
    registry.addAdmission(new NodePortAllocator(store).admit);
    registry.addAdmission(new ClusterIPAllocator(store).admit);
    const recorder = new StoreEventRecorder(store, { component: 'test', clock });
    const lb = new LoadBalancerController({ store, registry, recorder, log: silentLogger, clock });
    const pub = new RoutePublisher(store, { broadcast: () => undefined }, silentLogger, { clock, batchMs: 100 });
    return { store, registry, lb, pub };
  }

  it('turns a ClusterIP service ExternalName and back: the cluster IP goes, and a new one comes', () => {
    const { registry } = setup();
    const created = registry.create<Service>(service('db', {}));
    assert.match(created.spec.clusterIP!, /^10\.96\./);
    const ext = registry.update<Service>({ ...created, spec: { ...created.spec, type: 'ExternalName', externalName: 'db.example.com' } });
    assert.equal(ext.spec.clusterIP, undefined);
    const back = registry.update<Service>({ ...ext, spec: { ...ext.spec, type: 'NodePort', externalName: undefined } });
    assert.match(back.spec.clusterIP!, /^10\.96\./);
    assert.ok(back.spec.ports[0]!.nodePort! >= 30000);
  });

  it('holds a load balancer address on one Ready node, moves it when that node goes, and routes ExternalName by name', () => {
    const { store, registry, lb, pub } = setup();
    for (const n of ['node-1', 'node-2', 'node-3']) store.create(node(n, true));
    pub.start();
    try {
      registry.create(service('web', { type: 'LoadBalancer' }));
      registry.create(service('ext', { type: 'ExternalName', externalName: 'localhost', ports: [] }));
      lb.reconcile('default/web');
      const route = () => pub.snapshot().services!.find((s) => s.name === 'web')!;
      const first = route().loadBalancer!;
      assert.deepEqual(first.ips, ['127.0.2.1']);
      assert.ok(['node-1', 'node-2', 'node-3'].includes(first.node));
      assert.ok(route().ports[0]!.nodePort, 'the node port goes to the agents');
      const down = store.get<Node>('Node', undefined, first.node)!;
      store.update({ ...down, status: { conditions: [{ type: 'Ready', status: 'False' }] } } as Node);
      const second = route().loadBalancer!;
      assert.notEqual(second.node, first.node, 'a node that is not Ready holds no address');
      assert.deepEqual(second.ips, ['127.0.2.1']);
      const ext = pub.snapshot().services!.find((s) => s.name === 'ext')!;
      assert.deepEqual([ext.clusterIP, ext.externalName, ext.ports], ['', 'localhost', []]);
    } finally {
      pub.stop();
    }
  });
});
