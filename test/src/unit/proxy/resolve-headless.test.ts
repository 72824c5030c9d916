// Headless services as cluster DNS answers them: the service name gives one of its ready pods,
// and HOSTNAME.SERVICE... gives the pod of that hostname, at the port asked for.

import assert from 'node:assert/strict';
import { resolveHost, RoutingTable } from '@kip/agent';
import type { EndpointRoute } from '@kip/shared';
import { endpoint, serviceRoute, snapshot } from './fixtures.js';

const withHost = (e: EndpointRoute, hostname: string): EndpointRoute => ({ ...e, hostname });

function table(): RoutingTable {
  const t = new RoutingTable();
  t.apply(
    snapshot(
      [
        serviceRoute(
          'nginx',
          [
            withHost(endpoint('web-0', '10.244.1.5', 'node-1', { port: 80 }), 'web-0'),
            withHost(endpoint('web-1', '10.244.2.7', 'node-2', { port: 80 }), 'web-1'),
            withHost(endpoint('web-2', '10.244.2.8', 'node-2', { port: 80, ready: false }), 'web-2'),
          ],
          { clusterIP: 'None', port: 80, portName: 'web' },
        ),
        serviceRoute('empty', [], { clusterIP: 'None', namespace: 'shop' }),
        // A regular service in another namespace named like the headless one's pods' namespace form.
        serviceRoute('web-0', [endpoint('x', '10.244.1.9', 'node-1')], { namespace: 'nginx', clusterIP: '10.96.0.30' }),
      ],
      [
        { name: 'node-1', podCIDR: '10.244.1.0/24' },
        { name: 'node-2', podCIDR: '10.244.2.0/24' },
      ],
    ),
  );
  return t;
}

function answer(host: string, port: number, ns?: string, pick = 0): string {
  const r = resolveHost(table(), host, port, ns, () => pick);
  switch (r.kind) {
    case 'service':
      return `service ${r.service.namespace}/${r.service.name}:${r.port.port}`;
    case 'pod':
      return `pod ${r.ip}:${r.port} on ${r.node}`;
    case 'external':
      return `external ${r.host}:${r.port}`;
    default:
      return `${r.kind}: ${r.message}`;
  }
}

describe('proxy: resolving headless services and per-pod names', () => {
  const cases: [string, string, number, string | undefined, string | RegExp][] = [
    ['HOSTNAME.SERVICE in the client namespace', 'web-0.nginx', 80, undefined, 'pod 10.244.1.5:80 on node-1'],
    ['HOSTNAME.SERVICE.NAMESPACE', 'web-1.nginx.default', 8080, 'shop', 'pod 10.244.2.7:8080 on node-2'],
    ['HOSTNAME.SERVICE.NAMESPACE.svc', 'web-1.nginx.default.svc', 80, undefined, 'pod 10.244.2.7:80 on node-2'],
    ['the full per-pod name', 'web-0.nginx.default.svc.cluster.local', 80, undefined, 'pod 10.244.1.5:80 on node-1'],
    [
      'a hostname whose pod is not ready names nothing',
      'web-2.nginx.default.svc.cluster.local',
      80,
      undefined,
      /^unknown: no ready pod with hostname "web-2" .*ready hostnames: web-0, web-1$/,
    ],
    ['a per-pod name needs a headless service', 'web-0.other.default.svc', 80, undefined, /^unknown: no headless service "other" in namespace "default"/],
    [
      'three labels naming no headless service are an outside host',
      'web-0.other.default',
      80,
      undefined,
      /^outside: web-0\.other\.default is not a cluster name/,
    ],
    ['SERVICE.NAMESPACE when no pod has that hostname in the client namespace', 'web-0.nginx', 80, 'shop', 'service nginx/web-0:80'],
    ['the headless service name gives a ready pod', 'nginx', 80, undefined, 'pod 10.244.1.5:80 on node-1'],
    [
      'a headless service without ready pods names nothing',
      'empty.shop.svc.cluster.local',
      80,
      undefined,
      /^unknown: headless service shop\/empty .* has no ready pods$/,
    ],
  ];
  for (const [name, host, port, ns, want] of cases) {
    it(name, () => {
      const got = answer(host, port, ns);
      if (typeof want === 'string') assert.equal(got, want);
      else assert.match(got, want);
    });
  }

  it('spreads the service name over the ready pods only', () => {
    assert.equal(answer('nginx', 80, undefined, 1), 'pod 10.244.2.7:80 on node-2');
    const seen = new Set<string>();
    const t = table();
    for (let i = 0; i < 50; i++) {
      const r = resolveHost(t, 'nginx.default.svc', 80);
      if (r.kind === 'pod') seen.add(`pod ${r.ip}:${r.port} on ${r.node}`);
    }
    assert.deepEqual([...seen].sort(), ['pod 10.244.1.5:80 on node-1', 'pod 10.244.2.7:80 on node-2']);
  });

  it('keeps headless services out of the listeners, cluster IPs and service variables', () => {
    const t = table();
    assert.equal(t.service('default', 'nginx'), undefined);
    assert.equal(t.serviceByClusterIP('None'), undefined);
    assert.deepEqual(
      t.servicesIn('default').map((s) => s.name),
      [],
    );
    assert.equal(t.headlessService('default', 'nginx')?.ports[0]?.endpoints.length, 3);
    // Removed by a delta, it is gone from the names too.
    t.apply({ type: 'routes', full: false, removeServices: ['default/nginx'] });
    assert.equal(t.headlessService('default', 'nginx'), undefined);
  });
});
