// The API server refuses what a web page could send it from a user's browser: bodies of types a
// cross-site form can post without a preflight, Host headers of other names (DNS rebinding), and
// other origins, WebSocket upgrades included. Checked against a real ControlPlane on a real port.

import assert from 'node:assert/strict';
import http from 'node:http';
import { silentLogger, type Status } from '@kip/shared';
import { ControlPlane } from '@kip/controlplane';

interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** A raw request, so that Host, Origin and Content-Type are exactly what the test says. */
function request(port: number, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers, setHost: !opts.headers?.Host },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const POD = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'x' },
  spec: { containers: [{ name: 'c', command: ['sh', '-c', 'echo pwned > /tmp/proof'] }] },
});

describe('controlplane: requests from other sites are refused', () => {
  let cp: ControlPlane;
  let port: number;

  before(async () => {
    cp = new ControlPlane({ joinToken: 'test', log: silentLogger, port: 0, apiNames: ['kip.example'] });
    port = (await cp.start()).port;
  });
  after(() => cp.stop());

  const pods = '/api/v1/namespaces/default/pods';

  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    it(`refuses a body sent as ${type.split(';')[0]} with 415, and creates nothing`, async () => {
      const res = await request(port, { method: 'POST', path: pods, headers: { 'Content-Type': type }, body: POD });
      assert.equal(res.status, 415, res.body);
      const s = JSON.parse(res.body) as Status;
      assert.equal(s.reason, 'UnsupportedMediaType');
      assert.match(s.message, /Content-Type ".*" is not supported; send one of application\/json/);
      assert.equal(cp.store.get('Pod', 'default', 'x'), undefined);
    });
  }

  it("lets a proxied body of any type through to the pod's proxy, but not from another site", async () => {
    const path = '/api/v1/namespaces/default/pods/nope:80/proxy/form';
    const res = await request(port, { method: 'POST', path, headers: { 'Content-Type': 'text/plain' }, body: 'a=1' });
    assert.equal(res.status, 404, res.body);
    assert.match((JSON.parse(res.body) as Status).message, /pods "nope" not found/);
    const cross = await request(port, { method: 'POST', path, headers: { 'Content-Type': 'text/plain', Origin: 'https://evil.example' }, body: 'a=1' });
    assert.equal(cross.status, 403, cross.body);
  });

  it('serves JSON and YAML bodies, with a charset or without', async () => {
    const res = await request(port, { method: 'POST', path: pods, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: POD });
    assert.equal(res.status, 201, res.body);
    const yaml = 'apiVersion: v1\nkind: Pod\nmetadata: {name: y}\nspec: {containers: [{name: c, image: pause}]}\n';
    assert.equal((await request(port, { method: 'POST', path: pods, headers: { 'Content-Type': 'application/yaml' }, body: yaml })).status, 201);
  });

  it('refuses a Host that is not a name of this server (DNS rebinding) with 403', async () => {
    for (const host of [`evil.example:${port}`, 'localhost:1', `127.0.0.2:${port}`]) {
      const res = await request(port, { path: pods, headers: { Host: host } });
      assert.equal(res.status, 403, `${host}: ${res.body}`);
      assert.match((JSON.parse(res.body) as Status).message, new RegExp(`host "${host}" is not a name of this API server`));
    }
  });

  it('serves its own names: the address, localhost and the configured ones', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `kip.example:${port}`]) {
      assert.equal((await request(port, { path: pods, headers: { Host: host } })).status, 200, host);
    }
  });

  it('refuses a browser request from another origin with 403, and never sends CORS headers', async () => {
    const res = await request(port, { path: pods, headers: { Origin: 'http://evil.example' } });
    assert.equal(res.status, 403);
    assert.match((JSON.parse(res.body) as Status).message, /origin "http:\/\/evil.example" are not allowed/);
    const own = await request(port, { path: pods, headers: { Origin: `http://127.0.0.1:${port}` } });
    assert.equal(own.status, 200);
    assert.equal(own.headers['access-control-allow-origin'], undefined);
  });

  it('refuses a WebSocket upgrade from another origin (port-forward, agent join) with 403', async () => {
    for (const path of ['/agent/v1/connect', `${pods}/x/portforward?ports=80`]) {
      const res = await request(port, {
        path,
        headers: {
          Origin: 'http://evil.example',
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      });
      assert.equal(res.status, 403, path);
      assert.equal((JSON.parse(res.body) as Status).reason, 'Forbidden');
    }
  });
});
