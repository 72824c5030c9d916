// The agent's HTTP proxy, as a pod uses it (HTTP_PROXY, with its identity as proxy credentials):
// absolute-URI requests and CONNECT to service names, cluster IPs and pod IPs on any node, and a
// clear, quick refusal for anything else.

import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { ProxyCluster, connect, readAll } from './harness.js';

interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  ms: number;
}

/** GET `url` through the proxy at `proxy` ("host:port"), as curl with HTTP_PROXY=http://ns:pod@proxy would. */
function get(proxy: string, url: string, as?: { namespace: string; pod: string }): Promise<Answer> {
  const [host, port] = proxy.split(':');
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: new URL(url).host };
    if (as) headers['proxy-authorization'] = `Basic ${Buffer.from(`${as.namespace}:${as.pod}`).toString('base64')}`;
    const req = http.request({ host, port: Number(port), method: 'GET', path: url, headers, agent: false });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, ms: Date.now() - started }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** CONNECT host:port through the proxy; answers the status line and, on 200, the open socket. */
function connectVia(proxy: string, target: string): Promise<{ status: number; body: string; socket: net.Socket }> {
  const [host, port] = proxy.split(':');
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), method: 'CONNECT', path: target, agent: false });
    req.on('connect', (res, socket) => resolve({ status: res.statusCode ?? 0, body: '', socket }));
    req.on('error', reject);
    req.end();
  });
}

describe('proxy: the HTTP proxy', function () {
  this.timeout(30_000);
  let c: ProxyCluster;
  let proxy: string;
  afterEach(async () => {
    await c?.stop();
  });

  async function cluster(): Promise<void> {
    c = await ProxyCluster.start(['node-a', 'node-b']);
    await c.addPod('web-1', 'node-a', 'http');
    await c.addPod('web-2', 'node-b', 'http');
    await c.addPod('shop-web-1', 'node-b', 'http', { namespace: 'shop' });
    await c.addPod('echo-1', 'node-b', 'echo', { containerPort: 7000 });
    await c.publish([
      c.service('web', ['web-1', 'web-2'], { clusterIP: '10.96.0.10' }),
      c.service('web', ['shop-web-1'], { namespace: 'shop', clusterIP: '10.96.0.20' }),
      c.service('empty', ['web-1'], { unready: ['web-1'], clusterIP: '10.96.0.30' }),
    ]);
    proxy = c.proxy('node-a').httpProxyEndpoint();
  }

  it('answers a service by name from pods on both nodes, round-robin per request', async () => {
    await cluster();
    const pods: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await get(proxy, 'http://web/hello?x=1', { namespace: 'default', pod: 'client' });
      assert.equal(r.status, 200, r.body);
      const body = JSON.parse(r.body) as { pod: string; path: string; host: string };
      assert.equal(body.path, '/hello?x=1', 'the pod sees the origin-form path');
      assert.equal(body.host, 'web', 'and the host the client asked for');
      pods.push(body.pod);
    }
    assert.deepEqual(pods.sort(), ['web-1', 'web-1', 'web-2', 'web-2']);
  });

  it('resolves every form of a service name, the cluster IP, and pod IPs on any node', async () => {
    await cluster();
    const who = async (url: string, as?: { namespace: string; pod: string }) => {
      const r = await get(proxy, url, as);
      assert.equal(r.status, 200, `${url}: ${r.body}`);
      return (JSON.parse(r.body) as { pod: string }).pod;
    };
    for (const url of ['http://web.default/', 'http://web.default.svc/', 'http://web.default.svc.cluster.local/', 'http://10.96.0.10/']) {
      assert.match(await who(url), /^web-[12]$/, url);
    }
    assert.equal(await who('http://web.shop/'), 'shop-web-1');
    assert.equal(await who('http://web/', { namespace: 'shop', pod: 'client' }), 'shop-web-1', 'a bare name resolves in the client pod namespace');
    assert.match(await who('http://web/'), /^web-[12]$/, 'without credentials a bare name resolves in default');
    const web2 = c.pods.find((p) => p.name === 'web-2')!;
    assert.equal(await who(`http://${web2.ip}:8080/`), 'web-2', 'a pod IP on another node');
    const web1 = c.pods.find((p) => p.name === 'web-1')!;
    assert.equal(await who(`http://${web1.ip}:8080/`), 'web-1', 'a pod IP on this node');
  });

  it('answers an unknown name with a clear 502 at once, and an outside host with 403', async () => {
    await cluster();
    const unknown = await get(proxy, 'http://nope/');
    assert.equal(unknown.status, 502);
    assert.match(unknown.body, /^kip proxy \(node-a\): no service "nope" in namespace "default"/);
    assert.equal(unknown.headers['x-kip-proxy-error'], 'UnknownHost');
    assert.ok(unknown.ms < 1000, `answered in ${unknown.ms} ms`);
    const badPort = await get(proxy, 'http://web:8080/');
    assert.equal(badPort.status, 502);
    assert.match(badPort.body, /service default\/web \(web\) has no port 8080; its ports: 80/);
    const outside = await get(proxy, 'http://www.example.com/');
    assert.equal(outside.status, 403);
    assert.match(outside.body, /www\.example\.com is not a cluster name .*does not reach outside hosts/);
    const noPod = await get(proxy, 'http://10.244.7.7:8080/');
    assert.equal(noPod.status, 502);
    assert.match(noPod.body, /no pod has IP 10\.244\.7\.7/);
  });

  it('answers 503 for a service without ready endpoints', async () => {
    await cluster();
    const r = await get(proxy, 'http://empty/');
    assert.equal(r.status, 503);
    assert.match(r.body, /service default\/empty:80 has no ready endpoints \(1 not ready\)/);
  });

  it('CONNECT opens a raw byte stream to a pod on another node', async () => {
    await cluster();
    const echo = c.pods.find((p) => p.name === 'echo-1')!;
    const { status, socket } = await connectVia(proxy, `${echo.ip}:7000`);
    assert.equal(status, 200);
    const got = readAll(socket);
    socket.end('raw bytes, half-closed');
    assert.equal((await got).toString(), 'raw bytes, half-closed');
    socket.destroy();
  });

  it('CONNECT to an unknown name is refused with 502 and the reason', async () => {
    await cluster();
    const s = await connect(Number(proxy.split(':')[1]));
    const answer = readAll(s);
    s.write('CONNECT nope.default.svc.cluster.local:443 HTTP/1.1\r\nHost: nope\r\n\r\n');
    const text = (await answer).toString();
    assert.match(text, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.match(text, /no service "nope" in namespace "default"/);
    s.destroy();
  });

  it('serves /healthz and /status itself, and explains what it is to other origin-form requests', async () => {
    await cluster();
    const health = await fetch(`http://${proxy}/healthz`);
    assert.equal(await health.text(), 'ok\n');
    const status = (await (await fetch(`http://${proxy}/status`)).json()) as { node: string; listeners: { service: string }[] };
    assert.equal(status.node, 'node-a');
    assert.deepEqual(status.listeners.map((l) => l.service).sort(), ['default/empty', 'default/web', 'shop/web']);
    const other = await fetch(`http://${proxy}/`);
    assert.equal(other.status, 400);
    assert.match(await other.text(), /this is a proxy/);
  });
});
