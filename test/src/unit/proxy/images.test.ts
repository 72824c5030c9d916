// The images the pod network is watched and measured with, run as real processes against a real
// NodeProxy: `client` through the pod's HTTP proxy, naming the http-echo pod that answered (or the
// proxy's reason for refusing), and `tcp-echo`'s echo and sink ports.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { Pod } from '@kip/shared';
import { resolveImage } from '@kip/agent';
import { eventually } from '../../helpers/wait.js';
import { ProxyCluster, connect, readAll } from './harness.js';

interface Run {
  child: ChildProcess;
  out: () => string;
  exit: Promise<number | null>;
}

function run(image: string, args: string[], env: Record<string, string>): Run {
  const img = resolveImage(image);
  const child = spawn(img.entrypoint[0]!, [...img.entrypoint.slice(1), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exit };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

describe('proxy: images for the pod network', function () {
  this.timeout(30_000);
  let c: ProxyCluster | undefined;
  const runs: Run[] = [];
  afterEach(async () => {
    for (const r of runs.splice(0)) {
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
      await r.exit;
    }
    await c?.stop();
    c = undefined;
  });
  const go = (image: string, args: string[], env: Record<string, string>) => {
    const r = run(image, args, env);
    runs.push(r);
    return r;
  };

  it('client reaches a service through its HTTP proxy and logs the http-echo pod and node that answered', async () => {
    c = await ProxyCluster.start();
    // http-echo pods as real processes, one per node, standing behind fake pod entries.
    const echoes = [];
    for (const [name, node] of [
      ['web-a', 'node-a'],
      ['web-b', 'node-b'],
    ] as const) {
      const pod = await c.addPod(name, node, 'external', { hostPort: await freePort() });
      const r = go('http-echo', [], { PORT: String(pod.hostPort), POD_NAME: name, POD_NAMESPACE: 'default', NODE_NAME: node, POD_IP: pod.ip });
      echoes.push(r);
    }
    for (const r of echoes) await eventually('http-echo to listen', () => r.out().includes('listening'));
    await c.publish([c.service('web', ['web-a', 'web-b'])]);
    const env = c
      .proxy('node-a')
      .podEnv({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client-1', namespace: 'default' }, spec: { containers: [] } } as unknown as Pod);
    const client = go('client', ['--url', 'http://web/', '--rate', '20', '--count', '4'], env);
    assert.equal(await client.exit, 0, client.out());
    const lines = client.out().match(/status=200 latency=\d+ms bytes=\d+ pod=web-[ab] node=node-[ab]/g) ?? [];
    assert.equal(lines.length, 4, client.out());
    assert.ok(lines.some((l) => l.includes('pod=web-a node=node-a')) && lines.some((l) => l.includes('pod=web-b node=node-b')), client.out());
    assert.match(client.out(), /requests=4 ok=4 errors=0/);
  });

  it('client logs the proxy refusal with its reason', async () => {
    c = await ProxyCluster.start();
    await c.publish([]);
    const env = c
      .proxy('node-a')
      .podEnv({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client-1', namespace: 'shop' }, spec: { containers: [] } } as unknown as Pod);
    const client = go('client', ['--url', 'http://nope/', '--count', '1'], env);
    assert.equal(await client.exit, 1);
    assert.match(client.out(), /status=502 latency=\d+ms bytes=\d+ reason="kip proxy \(node-a\): no service \\"nope\\" in namespace \\"shop\\"/);
  });

  it('tcp-echo echoes on its port and counts bytes on its sink', async () => {
    const [echo, sink] = [await freePort(), await freePort()];
    const r = go('tcp-echo', ['--sink', `:${sink}`], { PORT: String(echo) });
    await eventually('both ports to listen', () => r.out().includes('echo listening') && r.out().includes('sink listening'));
    const e = await connect(echo);
    const echoed = readAll(e);
    e.end('ping');
    assert.equal((await echoed).toString(), 'ping');
    e.destroy();
    const s = await connect(sink);
    const counted = readAll(s);
    s.end(Buffer.alloc(3 * 1024 * 1024));
    assert.equal((await counted).toString(), `${3 * 1024 * 1024}\n`);
    s.destroy();
    r.child.kill('SIGTERM');
    assert.equal(await r.exit, 0);
  });

  it('tcp-echo refuses to start with nothing to listen on', async () => {
    const r = go('tcp-echo', [], {});
    assert.equal(await r.exit, 2);
    assert.match(r.out(), /nothing to listen on/);
  });
});
