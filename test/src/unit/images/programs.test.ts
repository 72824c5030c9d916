// The built-in image programs, run on their own as real processes.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { rssBytes } from '@kip/shared';
import { resolveImage } from '@kip/agent';
import { eventually } from '../../helpers/wait.js';

interface Run {
  child: ChildProcess;
  out: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(image: string, args: string[], env: Record<string, string> = {}): Run {
  const img = resolveImage(image);
  const child = spawn(img.entrypoint[0]!, [...img.entrypoint.slice(1), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, out: () => out, exit };
}

function until(what: string, fn: () => boolean): Promise<true> {
  return eventually(what, () => fn() || undefined, { timeoutMs: 10_000, intervalMs: 20 });
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

function rssOf(pid: number): number {
  return rssBytes(pid) ?? 0;
}

describe('images: the built-in programs', function () {
  this.timeout(30_000);
  const started: Run[] = [];
  afterEach(async () => {
    for (const r of started.splice(0)) {
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
      await r.exit;
    }
  });
  const go = (image: string, args: string[], env?: Record<string, string>) => {
    const r = run(image, args, env);
    started.push(r);
    return r;
  };

  it('http-echo answers with its pod identity on $PORT, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const r = go('http-echo', [], { PORT: String(port), POD_NAME: 'echo-1', POD_NAMESPACE: 'ns', NODE_NAME: 'node-3', POD_IP: '10.244.3.9' });
    await until('listening', () => r.out().includes('listening'));
    const res = await fetch(`http://127.0.0.1:${port}/x?y=1`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-kip-pod'), 'echo-1');
    assert.equal(res.headers.get('x-kip-node'), 'node-3');
    assert.deepEqual(await res.json(), {
      pod: 'echo-1',
      namespace: 'ns',
      node: 'node-3',
      podIP: '10.244.3.9',
      method: 'GET',
      path: '/x?y=1',
      host: `127.0.0.1:${port}`,
    });
    await until('request logged', () => r.out().includes('"GET /x?y=1 HTTP/1.1" 200'));
    r.child.kill('SIGTERM');
    assert.deepEqual(await r.exit, { code: 0, signal: null });
  });

  it('http-echo with -text answers that text as plain text, as hashicorp/http-echo does', async () => {
    const port = await freePort();
    const r = go('http-echo', ['-text=hi there'], { PORT: String(port), POD_NAME: 'echo-1', NODE_NAME: 'node-3' });
    await until('listening', () => r.out().includes('listening'));
    const res = await fetch(`http://127.0.0.1:${port}/apple`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(res.headers.get('x-kip-pod'), 'echo-1');
    assert.equal(await res.text(), 'hi there\n');
    // The health path still answers with its status.
    assert.equal(((await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { status: string }).status, 'ok');
  });

  it('http-echo takes -listen=:N and -status-code', async () => {
    const port = await freePort();
    const r = go('http-echo', [`-listen=:${port}`, '-status-code=503']);
    await until('listening', () => r.out().includes('listening'));
    assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 503);
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    const bad = go('http-echo', ['-listen=nope']);
    assert.equal((await bad.exit).code, 2);
    assert.match(bad.out(), /invalid value "nope" for flag -listen/);
  });

  it('crasher exits with the given code after the given delay', async () => {
    const t0 = Date.now();
    const r = go('crasher', ['--after', '300ms', '--code', '7']);
    assert.equal((await r.exit).code, 7);
    assert.ok(Date.now() - t0 >= 280);
    assert.match(r.out(), /exiting with code 7/);
  });

  it('stress holds the memory it is asked for, resident, and burns cpu', async () => {
    const r = go('stress', ['--memory', '96Mi', '--cpu', '0.5']);
    await until('memory held', () => r.out().includes('holding 96Mi'));
    assert.ok(rssOf(r.child.pid!) > 96 * 2 ** 20, 'pages are touched, so they count in RSS');
    r.child.kill('SIGTERM');
    assert.equal((await r.exit).code, 0);
  });

  it('client logs one line per request, directly and through HTTP_PROXY', async () => {
    const seen: string[] = [];
    const srv = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.setHeader('x-kip-pod', 'web-1');
      res.end('ok');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    try {
      const direct = go('client', ['--url', `http://127.0.0.1:${port}/a`, '--interval', '50ms', '--count', '3']);
      assert.equal((await direct.exit).code, 0);
      assert.equal(direct.out().match(/status=200 latency=\d+ms bytes=2 pod=web-1/g)?.length, 3);
      assert.match(direct.out(), /requests=3 ok=3 errors=0/);
      // The test server plays the proxy: it must see the absolute URI.
      const proxied = go('client', ['http://web.default/b', '--count', '1'], { HTTP_PROXY: `http://127.0.0.1:${port}` });
      assert.equal((await proxied.exit).code, 0);
      assert.ok(seen.includes('http://web.default/b'), `proxy saw ${JSON.stringify(seen)}`);
      const refused = go('client', [`http://127.0.0.1:1/`, '--count', '1']);
      assert.equal((await refused.exit).code, 1);
      assert.match(refused.out(), /error="connect ECONNREFUSED 127\.0\.0\.1:1"/);
    } finally {
      srv.close();
    }
  });
});
