// Host names and addresses as cluster DNS would answer them, and a clear refusal for the rest.

import assert from 'node:assert/strict';
import { resolveHost } from '@kip/agent';
import { RoutingTable } from '@kip/agent';
import { endpoint, serviceRoute, snapshot } from './fixtures.js';

function table(): RoutingTable {
  const t = new RoutingTable();
  t.apply(
    snapshot(
      [
        serviceRoute('web', [endpoint('web-1', '10.244.1.2', 'node-1')], { clusterIP: '10.96.0.10', port: 80 }),
        serviceRoute('web', [], { namespace: 'shop', clusterIP: '10.96.0.20', port: 8080, portName: 'http' }),
        { ...serviceRoute('lb', [], { clusterIP: '10.96.0.30', port: 8080 }), loadBalancer: { ips: ['127.0.2.1'], node: 'node-2' } },
        { namespace: 'default', name: 'ext', clusterIP: '', sessionAffinity: 'None', ports: [], externalName: 'localhost' },
        { namespace: 'default', name: 'alias', clusterIP: '', sessionAffinity: 'None', ports: [], externalName: 'web.shop.svc.cluster.local' },
        { namespace: 'default', name: 'loop-a', clusterIP: '', sessionAffinity: 'None', ports: [], externalName: 'loop-b.default' },
        { namespace: 'default', name: 'loop-b', clusterIP: '', sessionAffinity: 'None', ports: [], externalName: 'loop-a.default' },
      ],
      [
        { name: 'node-1', podCIDR: '10.244.1.0/24' },
        { name: 'node-2', podCIDR: '10.244.2.0/24' },
      ],
    ),
  );
  return t;
}

/** "service ns/name:port", "pod IP:port on NODE", or "502: message" / "403: message". */
function answer(host: string, port: number, ns?: string): string {
  const r = resolveHost(table(), host, port, ns);
  switch (r.kind) {
    case 'service':
      return `service ${r.service.namespace}/${r.service.name}:${r.port.port}`;
    case 'pod':
      return `pod ${r.ip}:${r.port} on ${r.node}`;
    case 'unknown':
      return `502: ${r.message}`;
    case 'outside':
      return `403: ${r.message}`;
    case 'external':
      return `external ${r.host}:${r.port} for ${r.service.namespace}/${r.service.name}`;
  }
}

describe('proxy: resolving hosts', () => {
  const cases: [string, string, number, string | undefined, string | RegExp][] = [
    ['a bare name, in the client namespace', 'web', 80, undefined, 'service default/web:80'],
    ['a bare name from another namespace', 'web', 8080, 'shop', 'service shop/web:8080'],
    ['name.namespace', 'web.shop', 8080, undefined, 'service shop/web:8080'],
    ['name.namespace.svc', 'web.default.svc', 80, 'shop', 'service default/web:80'],
    ['the full cluster name', 'web.default.svc.cluster.local', 80, undefined, 'service default/web:80'],
    ['the full name with a trailing dot, in capitals', 'WEB.Default.svc.cluster.local.', 80, undefined, 'service default/web:80'],
    ['a cluster IP', '10.96.0.20', 8080, undefined, 'service shop/web:8080'],
    ['a pod IP, routed to the node whose range holds it', '10.244.2.9', 9000, undefined, 'pod 10.244.2.9:9000 on node-2'],
    ['a pod DNS name', '10-244-1-2.default.pod.cluster.local', 8080, undefined, 'pod 10.244.1.2:8080 on node-1'],
    [
      'a pod DNS name, whatever its namespace (the name is the address, as in Kubernetes DNS)',
      '10-244-1-2.shop.pod',
      8080,
      undefined,
      'pod 10.244.1.2:8080 on node-1',
    ],
    ['a service port it does not have', 'web', 8080, undefined, /^502: service default\/web \(web\) has no port 8080; its ports: 80$/],
    ['an unknown service', 'nope', 80, undefined, /^502: no service "nope" in namespace "default"/],
    ['an unknown service by full name', 'nope.shop.svc.cluster.local', 80, undefined, /^502: no service "nope" in namespace "shop"/],
    ['an outside two-label name', 'example.com', 80, undefined, /^502: no service "example" in namespace "com" .*does not reach outside hosts/],
    ['a pod IP no node range holds', '10.244.9.9', 80, undefined, /^502: no pod has IP 10\.244\.9\.9: no node's pod range holds it$/],
    ['a pod DNS name that is not an address', 'web-1.default.pod', 80, undefined, /^502: web-1\.default\.pod is not a pod name/],
    ['an unknown cluster IP', '10.96.9.9', 80, undefined, /^502: no service has cluster IP 10\.96\.9\.9$/],
    ['an outside name', 'www.example.com', 80, undefined, /^403: www\.example\.com is not a cluster name/],
    ['an outside address', '8.8.8.8', 53, undefined, /^403: 8\.8\.8\.8 is not a pod or service address/],
    ['localhost', 'localhost', 80, undefined, /^403: localhost is not a cluster address/],
    ['IPv6', '[::1]', 80, undefined, /^403: ::1 is not a cluster address/],
    ['a load balancer address, as a pod reaches it', '127.0.2.1', 8080, undefined, 'service default/lb:8080'],
    ['an ExternalName service: its external name, at the port asked for', 'ext', 5432, undefined, 'external localhost:5432 for default/ext'],
    ['an ExternalName service by its full name', 'ext.default.svc.cluster.local', 80, 'shop', 'external localhost:80 for default/ext'],
    ['an ExternalName that names another service resolves to it', 'alias', 8080, undefined, 'service shop/web:8080'],
    [
      'ExternalName services naming each other end with a clear error',
      'loop-a',
      80,
      undefined,
      /^502: service default\/loop-[ab]: more than 8 ExternalName services/,
    ],
  ];
  for (const [name, host, port, ns, want] of cases) {
    it(`${name}: ${host}:${port}`, () => {
      const got = answer(host, port, ns);
      if (typeof want === 'string') assert.equal(got, want);
      else assert.match(got, want);
    });
  }
});

describe('proxy: resolving with the cluster address plan the snapshot gives', () => {
  it('takes the pod network and service range from the snapshot (--pod-cidr, --service-cidr)', () => {
    const t = new RoutingTable();
    t.apply({ ...snapshot([], [{ name: 'node-1', podCIDR: '10.50.1.0/24' }]), podNetworkCidr: '10.50.0.0/16', serviceCidr: '10.60.0.0/20' });
    assert.equal(resolveHost(t, '10.60.0.99', 80).kind, 'unknown', 'an address in the service range names a (missing) service');
    assert.equal(resolveHost(t, '10.50.1.7', 80).kind, 'pod');
    const old = resolveHost(t, '10.96.0.10', 80);
    assert.equal(old.kind, 'outside', 'the default range is not a cluster range here');
    if (old.kind === 'outside') assert.match(old.message, /pod IPs \(10\.50\.0\.0\/16\) and cluster IPs \(10\.60\.0\.0\/20\) only/);
  });
});
