// Headless services on the control plane's side: endpoints carry the hostnames of the pods whose
// subdomain is the service, a service may publish not-ready pods, and the route publisher sends
// headless services to the agents (with clusterIP None) so their names resolve.

import assert from 'node:assert/strict';
import { FakeClock, silentLogger, type Pod, type Routes, type Service } from '@kip/shared';
import { ClusterIPAllocator, EndpointsController, endpointSubsets, MemoryStore, Registry, RoutePublisher, StoreEventRecorder } from '@kip/controlplane';

function headless(extra: Partial<Service['spec']> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'nginx', namespace: 'default' },
    spec: { clusterIP: 'None', selector: { app: 'nginx' }, ports: [{ name: 'web', port: 80 }], ...extra },
  };
}

function pod(name: string, ip: string, opts: { ready?: boolean; subdomain?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'nginx' } },
    spec: {
      nodeName: 'node-1',
      hostname: name,
      subdomain: opts.subdomain ?? 'nginx',
      containers: [{ name: 'c', image: 'http-echo', ports: [{ containerPort: 80 }] }],
    },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

const addresses = (svc: Service, pods: Pod[]) =>
  endpointSubsets(svc, pods).map((s) => ({
    ready: (s.addresses ?? []).map((a) => `${a.ip}=${a.hostname ?? '-'}`),
    notReady: (s.notReadyAddresses ?? []).map((a) => `${a.ip}=${a.hostname ?? '-'}`),
  }));

describe('headless services on the control plane', () => {
  it('names each address by the pod hostname when the pod subdomain is the service', () => {
    const got = addresses(headless(), [
      pod('web-0', '10.244.1.2'),
      pod('web-1', '10.244.1.3', { ready: false }),
      pod('other', '10.244.1.4', { subdomain: 'elsewhere' }),
    ]);
    assert.deepEqual(got, [{ ready: ['10.244.1.2=web-0', '10.244.1.4=-'], notReady: ['10.244.1.3=web-1'] }]);
  });

  it('lists not-ready pods as ready when the service publishes them', () => {
    const got = addresses(headless({ publishNotReadyAddresses: true }), [pod('web-0', '10.244.1.2'), pod('web-1', '10.244.1.3', { ready: false })]);
    assert.deepEqual(got, [{ ready: ['10.244.1.2=web-0', '10.244.1.3=web-1'], notReady: [] }]);
  });

  it('sends a headless service to the agents with clusterIP None and its endpoints hostnames', () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const registry = new Registry({ store, log: silentLogger, clock });
    registry.addAdmission(new ClusterIPAllocator(store).admit);
    const recorder = new StoreEventRecorder(store, { component: 'test', clock });
    const endpoints = new EndpointsController({ store, registry, recorder, log: silentLogger, clock });
    const sent: Routes[] = [];
    const pub = new RoutePublisher(store, { broadcast: (r) => sent.push(r) }, silentLogger, { clock, batchMs: 100 });
    pub.start();
    try {
      assert.equal(registry.create<Service>(headless()).spec.clusterIP, 'None', 'no cluster IP allocated');
      store.create(pod('web-0', '10.244.1.2'));
      endpoints.reconcile('default/nginx');
      const route = pub.snapshot().services?.find((s) => s.name === 'nginx');
      assert.equal(route?.clusterIP, 'None');
      assert.deepEqual(route?.ports[0]?.endpoints, [{ ip: '10.244.1.2', port: 80, node: 'node-1', pod: 'web-0', ready: true, hostname: 'web-0' }]);
    } finally {
      pub.stop();
    }
  });
});
