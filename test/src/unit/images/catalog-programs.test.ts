// The catalog's programs run as the kubelet runs them (the image's command, env and stand-ins on
// PATH), as real processes answering real requests: nginx's and httpd's pages, document roots and
// access logs; agnhost netexec and serve-hostname; busybox wget through an HTTP proxy; stress(1)
// holding its memory.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Container } from '@kip/shared';
import { rssBytes } from '@kip/shared';
import { containerArgv, imageProgram, imageRunEnv, resolveImage } from '@kip/agent';
import { eventually } from '../../helpers/wait.js';

interface Run {
  child: ChildProcess;
  out: () => string;
  exit: Promise<number | null>;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function get(port: number, urlPath: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

describe('images: the catalog programs', function () {
  this.timeout(30_000);
  let home: string;
  const started: Run[] = [];
  before(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'kip-pod-'));
  });
  afterEach(async () => {
    for (const r of started.splice(0)) {
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
      await r.exit;
    }
  });
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  /** Starts a container of `image` as the kubelet would, in `home` (the pod's directory). */
  function container(image: string, spec: Partial<Container>, env: Record<string, string> = {}, hostPorts: Record<string, number> = {}): Run {
    const img = resolveImage(image);
    const c = { name: 'c', ...spec } as Container;
    const full = imageRunEnv(img, { PATH: process.env.PATH ?? '', HOME: home, ...env }, c, hostPorts);
    const argv = containerArgv(c, img, full);
    const child = spawn(imageProgram(img, argv[0]!), argv.slice(1), { env: full, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const r: Run = { child, out: () => out, exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
    started.push(r);
    return r;
  }

  const until = (what: string, fn: () => boolean) => eventually(what, () => fn() || undefined, { timeoutMs: 15_000, intervalMs: 20 });

  it('nginx serves its welcome page and the files under its document root on the declared port, logging each request', async function () {
    const port = await freePort();
    const r = container('nginx:1.27', { ports: [{ containerPort: 80 }] } as Partial<Container>, { PORT: String(port) }, { 'c/80': port });
    await until('nginx listening', () => r.out().includes('start worker processes'));
    const page = await get(port, '/');
    assert.equal(page.status, 200);
    assert.match(page.body, /<title>Welcome to nginx!<\/title>/);
    assert.match(String(page.headers.server), /^nginx\//);
    // Without a filesystem of its own, the document root is the image's path under the pod's directory.
    const root = path.join(home, 'usr/share/nginx/html');
    fs.writeFileSync(path.join(root, 'hello.txt'), 'hello from the root\n');
    assert.deepEqual([(await get(port, '/hello.txt')).body, (await get(port, '/hello.txt')).headers['content-type']], ['hello from the root\n', 'text/plain']);
    const missing = await get(port, '/nope');
    assert.equal(missing.status, 404);
    assert.match(missing.body, /<center><h1>404 Not Found<\/h1><\/center>/);
    assert.equal((await get(port, '/../../etc/passwd')).status, 404, 'nothing outside the root');
    await until('access log lines', () => /"GET \/nope HTTP\/1\.1" 404 \d+ "-" "-" "-"/.test(r.out()));
    assert.match(r.out(), /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/ HTTP\/1\.1" 200 615 "-" "-" "-"$/m);
    r.child.kill('SIGTERM');
    assert.equal(await r.exit, 0);
  });

  it('httpd serves a document root that exists (a mounted volume) as it is, and logs in common format', async function () {
    const port = await freePort();
    const docroot = fs.mkdtempSync(path.join(os.tmpdir(), 'kip-htdocs-'));
    try {
      fs.writeFileSync(path.join(docroot, 'index.html'), '<h1>mounted</h1>\n');
      const r = container('httpd:2.4', {}, { PORT: String(port), KIP_DOCUMENT_ROOT: docroot });
      await until('httpd listening', () => r.out().includes('resuming normal operations'));
      assert.equal((await get(port, '/')).body, '<h1>mounted</h1>\n', 'a root that exists is served as it is');
      await until('a common log line', () => /"GET \/ HTTP\/1\.1" 200 17$/m.test(r.out()));
    } finally {
      fs.rmSync(docroot, { recursive: true, force: true });
    }
  });

  it('agnhost netexec and serve-hostname answer as agnhost does', async function () {
    const port = await freePort();
    const netexec = container(
      'registry.k8s.io/e2e-test-images/agnhost:2.40',
      { args: ['netexec', '--http-port=8080', '--udp-port=-1'], ports: [{ containerPort: 8080 }] } as Partial<Container>,
      { HOSTNAME: 'pod-a' },
      { 'c/8080': port },
    );
    await until('netexec listening', () => netexec.out().includes('Started HTTP server on port 8080'));
    assert.equal((await get(port, '/hostname')).body, 'pod-a');
    assert.equal((await get(port, '/echo?msg=hi%20there')).body, 'hi there');
    assert.equal((await get(port, '/echo?msg=x&code=418')).status, 418);
    assert.match((await get(port, '/clientip')).body, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(JSON.parse((await get(port, '/shell?cmd=echo%20$((1%2B2))')).body), { output: '3\n' });
    assert.match((await get(port, '/')).body, /^NOW: \d{4}-/);
    await get(port, '/exit?code=3').catch(() => undefined);
    assert.equal(await netexec.exit, 3);

    const port2 = await freePort();
    const sh = container(
      'registry.k8s.io/serve_hostname',
      { ports: [{ containerPort: 9376 }] } as Partial<Container>,
      { HOSTNAME: 'pod-b' },
      { 'c/9376': port2 },
    );
    await until('serve_hostname listening', () => sh.out().includes('Serving on port 9376'));
    assert.equal((await get(port2, '/')).body, 'pod-b');

    const port3 = await freePort();
    container('registry.k8s.io/echoserver:1.4', { ports: [{ containerPort: 8080 }] } as Partial<Container>, { HOSTNAME: 'pod-c' }, { 'c/8080': port3 });
    const echo = await eventually('echoserver answering', () => get(port3, '/a?b=1').catch(() => undefined), { timeoutMs: 15_000 });
    assert.match(echo.body, /Hostname: pod-c/);
    assert.match(echo.body, /real path=\/a\n\tquery=b=1/);
  });

  it('the docs\' sample apps answer as they do: hello-app with its tag as version, hpa-example "OK!"', async function () {
    const port = await freePort();
    container('gcr.io/google-samples/hello-app:2.0', { ports: [{ containerPort: 8080 }] } as Partial<Container>, { PORT: String(port), HOSTNAME: 'web-1' });
    const hello = await eventually('hello-app answering', () => get(port, '/').catch(() => undefined), { timeoutMs: 15_000 });
    assert.equal(hello.body, 'Hello, world!\nVersion: 2.0.0\nHostname: web-1\n');
    const port2 = await freePort();
    container('registry.k8s.io/hpa-example', { ports: [{ containerPort: 80 }] } as Partial<Container>, {}, { 'c/80': port2 });
    assert.equal((await eventually('php-apache answering', () => get(port2, '/').catch(() => undefined), { timeoutMs: 15_000 })).body, 'OK!');
  });

  it('hashicorp/http-echo -listen=:5678 listens on the host port behind a declared 5678', async function () {
    const port = await freePort();
    const r = container(
      'hashicorp/http-echo:1.0',
      { args: ['-listen=:5678', '-text=hi'], ports: [{ containerPort: 5678 }] } as Partial<Container>,
      {},
      { 'c/5678': port },
    );
    await until('http-echo listening', () => r.out().includes(`listening on :${port}`));
    assert.equal((await get(port, '/')).body, 'hi\n');
  });

  it('hashicorp/http-echo run by its path, command: ["/http-echo", "-text=..."], as manifests and kubectl create -- write it', async function () {
    // No port declared and no -listen: the image's own 5678 (EXPOSE) has a host port of its own.
    const port = await freePort();
    const r = container('hashicorp/http-echo', { command: ['/http-echo', '-text=by path'] } as Partial<Container>, {}, { 'c/5678': port });
    await until('http-echo listening', () => r.out().includes(`listening on :${port}`));
    assert.equal((await get(port, '/')).body, 'by path\n');
  });

  it("busybox wget -qO- goes through http_proxy with the pod's credentials, and -O writes a file", async function () {
    const seen: { url: string; auth: string }[] = [];
    const proxy = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', auth: String(req.headers['proxy-authorization'] ?? '') });
      res.writeHead(req.url?.endsWith('/missing') ? 404 : 200, { 'content-type': 'text/plain' });
      res.end('through the proxy\n');
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyPort = (proxy.address() as AddressInfo).port;
    try {
      const env = { http_proxy: `http://default:box@127.0.0.1:${proxyPort}`, NO_PROXY: '127.0.0.1,localhost' };
      const r = container(
        'busybox:1.36',
        {
          command: [
            'sh',
            '-c',
            'wget -qO- http://10.96.0.10/; wget -q -O "$HOME/got.txt" http://web.default/f && cat "$HOME/got.txt"; wget -q http://10.96.0.10/missing; echo "rc=$?"',
          ],
        },
        env,
      );
      assert.equal(await r.exit, 0);
      assert.equal(r.out(), 'through the proxy\nthrough the proxy\nwget: server returned error: HTTP/1.1 404 Not Found\nrc=1\n');
      assert.deepEqual(
        seen.map((s) => s.url),
        ['http://10.96.0.10/', 'http://web.default/f', 'http://10.96.0.10/missing'],
      );
      assert.equal(seen[0]!.auth, `Basic ${Buffer.from('default:box').toString('base64')}`);
      // Refused, and timed out, in busybox's words.
      const port = await freePort();
      const refused = container('busybox', { command: ['wget', '-q', '-T', '2', `http://127.0.0.1:${port}/`] });
      assert.equal(await refused.exit, 1);
      assert.match(refused.out(), /wget: can't connect to remote host \(127\.0\.0\.1\): Connection refused/);
    } finally {
      proxy.close();
    }
  });

  it('polinux/stress --vm 1 --vm-bytes 96M --vm-hang 0 holds its memory resident', async function () {
    const r = container('polinux/stress', { command: ['stress'], args: ['--vm', '1', '--vm-bytes', '96M', '--vm-hang', '0'] });
    await until('96M resident', () => (rssBytes(r.child.pid!) ?? 0) > 96 * 2 ** 20);
    assert.match(r.out(), /^stress: info: \[1\] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd$/m);
    const t = container('progrium/stress', { args: ['--cpu', '1', '--timeout', '1s'] });
    assert.equal(await t.exit, 0);
    assert.match(t.out(), /successful run completed in 1s/);
  });
});
