// The proxy subresource's pure parts: how a proxy id names a scheme, an object and a port (as the
// API server's SplitSchemeNamePort), which headers cross to the pod and back, and where a pod's or
// a service's id leads (a ready endpoint; the API server's refusals otherwise).

import assert from 'node:assert/strict';
import { MemoryStore, ResourceProxy, relayedHeaders, rewriteLocation, splitSchemeNamePort, ApiError } from '@kip/controlplane';
import type { Endpoints, KObject, Pod, Service } from '@kip/shared';
import { silentLogger } from '@kip/shared';

describe('controlplane/api/proxy', () => {
  it('splits name, name:port and scheme:name:port as the API server does', () => {
    assert.deepEqual(splitSchemeNamePort('web'), { scheme: 'http', name: 'web', port: '' });
    assert.deepEqual(splitSchemeNamePort('web:80'), { scheme: 'http', name: 'web', port: '80' });
    assert.deepEqual(splitSchemeNamePort('web:http'), { scheme: 'http', name: 'web', port: 'http' });
    assert.deepEqual(splitSchemeNamePort('https:web:443'), { scheme: 'https', name: 'web', port: '443' });
    assert.deepEqual(splitSchemeNamePort('http:web:'), { scheme: 'http', name: 'web', port: '' });
    for (const bad of ['', ':80', 'ftp:web:21', 'a:b:c:d', 'https::443']) assert.equal(splitSchemeNamePort(bad), undefined, bad);
  });

  it('drops hop-by-hop headers, the caller credentials and what Connection names; keeps the rest', () => {
    const out = relayedHeaders({
      connection: 'keep-alive, x-hop',
      'x-hop': '1',
      'keep-alive': 'timeout=5',
      authorization: 'Bearer secret',
      host: 'api:6443',
      'transfer-encoding': 'chunked',
      'content-type': 'text/plain',
      'x-custom': 'kept',
    });
    assert.deepEqual(out, { 'content-type': 'text/plain', 'x-custom': 'kept' });
  });

  it('rewrites a redirect on the pod to lead back through the proxy, and leaves others alone', () => {
    const prefix = '/api/v1/namespaces/default/services/web:80/proxy';
    assert.equal(rewriteLocation('/login?next=%2F', '10.244.1.5:8080', prefix), `${prefix}/login?next=%2F`);
    assert.equal(rewriteLocation('http://10.244.1.5:8080/a#b', '10.244.1.5:8080', prefix), `${prefix}/a#b`);
    assert.equal(rewriteLocation('https://example.com/x', '10.244.1.5:8080', prefix), 'https://example.com/x');
    assert.equal(rewriteLocation('next', '10.244.1.5:8080', prefix), 'next');
  });

  describe('locate', () => {
    let store: MemoryStore;
    let proxy: ResourceProxy;
    const put = (o: KObject) => store.create(o);
    beforeEach(() => {
      store = new MemoryStore();
      proxy = new ResourceProxy({ store, joinToken: 't', log: silentLogger });
      put({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'default' },
        spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'http-echo', ports: [{ name: 'http', containerPort: 8080 }] }] },
        status: { phase: 'Running', podIP: '10.244.1.5' },
      } as Pod);
      put({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'default' },
        spec: { ports: [{ name: 'web', port: 80, targetPort: 'http' }] },
      } as unknown as Service);
      put({
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'web', namespace: 'default' },
        subsets: [{ addresses: [{ ip: '10.244.1.5', nodeName: 'node-1' }], ports: [{ name: 'web', port: 8080 }] }],
      } as Endpoints);
    });
    afterEach(() => store.close());

    const refusal = (fn: () => unknown, code: number, message: RegExp) =>
      assert.throws(fn, (e: unknown) => e instanceof ApiError && e.code === code && message.test(e.message));

    it('leads a pod id to its IP and the port given, named, or first declared', () => {
      assert.deepEqual(proxy.locate('Pod', 'default', 'p:9000'), { scheme: 'http', target: { podIP: '10.244.1.5', port: 9000, node: 'node-1' } });
      assert.equal(proxy.locate('Pod', 'default', 'p:http').target.port, 8080);
      assert.equal(proxy.locate('Pod', 'default', 'p').target.port, 8080);
      assert.equal(proxy.locate('Pod', 'default', 'https:p:8443').scheme, 'https');
      refusal(() => proxy.locate('Pod', 'default', 'nope:80'), 404, /pods "nope" not found/);
      refusal(() => proxy.locate('Pod', 'default', 'ftp:p:80'), 400, /invalid pod request "ftp:p:80"/);
      refusal(() => proxy.locate('Pod', 'default', 'p:grpc'), 400, /no container port named "grpc"/);
    });

    it('leads a service id to a ready endpoint by service port number or name', () => {
      assert.deepEqual(proxy.locate('Service', 'default', 'web:80').target, { podIP: '10.244.1.5', port: 8080, node: 'node-1' });
      assert.equal(proxy.locate('Service', 'default', 'web:web').target.port, 8080);
      refusal(() => proxy.locate('Service', 'default', 'web:81'), 503, /no service port 81 found for service "web"/);
      refusal(() => proxy.locate('Service', 'default', 'web'), 503, /no endpoints available for service "web"/);
      refusal(() => proxy.locate('Service', 'default', 'other:80'), 404, /services "other" not found/);
    });
  });
});
