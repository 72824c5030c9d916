// Two (or three) NodeProxy instances in this process, fed hand-made routing tables, with TCP
// servers as pods: service traffic crosses both proxies and the tunnel, is balanced over ready
// endpoints, retried past refusals, kept away from pods being deleted, and counted per link.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { TunnelError, decodeStatus, dialTunnel, encodeHello, signHello, type Pod } from '@kip/shared';
import { eventually } from '../../helpers/wait.js';
import { ProxyCluster, TOKEN, connect, exchange, readAll } from './harness.js';
import { delta } from './fixtures.js';

function tally(answers: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) out[a.trim()] = (out[a.trim()] ?? 0) + 1;
  return out;
}

async function askMany(port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await exchange(port)).trim());
  return out;
}

describe('proxy: NodeProxy over real sockets', function () {
  this.timeout(30_000);
  let c: ProxyCluster;
  afterEach(async () => {
    await c?.stop();
  });

  it('carries a service connection from one node to a pod on another, through both proxies and the tunnel', async () => {
    c = await ProxyCluster.start();
    await c.addPod('echo-1', 'node-b', 'echo');
    await c.publish([c.service('echo', ['echo-1'])]);
    assert.equal(await exchange(c.listener('node-a', 'echo'), 'hello across nodes'), 'hello across nodes');
    const a = c.proxy('node-a').links();
    const b = c.proxy('node-b').links();
    assert.deepEqual(
      a.map((l) => [l.peer, l.local, l.opened, l.bytesSent, l.bytesReceived, l.errors]),
      [['node-b', false, 1, 18, 18, 0]],
    );
    assert.deepEqual(
      b.map((l) => [l.peer, l.local, l.opened, l.bytesSent, l.bytesReceived, l.errors]),
      [['node-a', false, 1, 18, 18, 0]],
    );
    await eventually('the connection to close on both links', () => c.proxy('node-a').links()[0]!.active === 0 && c.proxy('node-b').links()[0]!.active === 0);
  });

  it('passes on what a pod says first, before the client says anything, and counts it once', async () => {
    c = await ProxyCluster.start();
    await c.addPod('banner', 'node-b', (s) => {
      s.write('220 ready\r\n');
      s.pipe(s);
    });
    await c.publish([c.service('banner', ['banner'])]);
    const s = await connect(c.listener('node-a', 'banner'));
    const greeting = await new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString())));
    assert.equal(greeting, '220 ready\r\n');
    const rest = readAll(s);
    s.end('QUIT\r\n');
    assert.equal((await rest).toString(), 'QUIT\r\n');
    s.destroy();
    await eventually('the connection to close', () => c.proxy('node-a').links()[0]!.active === 0);
    for (const node of ['node-a', 'node-b']) {
      const l = c.proxy(node).links()[0]!;
      assert.deepEqual([l.bytesSent, l.bytesReceived].sort(), [6, 17].sort(), `${node}: payload only, each byte once: ${JSON.stringify(l)}`);
    }
    const a = c.proxy('node-a').links()[0]!;
    assert.deepEqual([a.bytesSent, a.bytesReceived], [6, 17]);
  });

  it('dials a pod on its own node directly, on the local link', async () => {
    c = await ProxyCluster.start();
    await c.addPod('echo-1', 'node-a', 'echo');
    await c.publish([c.service('echo', ['echo-1'])]);
    assert.equal(await exchange(c.listener('node-a', 'echo'), 'local'), 'local');
    assert.deepEqual(
      c
        .proxy('node-a')
        .links()
        .map((l) => [l.peer, l.local, l.opened, l.bytesSent]),
      [['node-a', true, 1, 5]],
    );
    assert.deepEqual(c.proxy('node-b').links(), [], 'node-b carried nothing');
  });

  it('balances round-robin over ready endpoints on every node; an unready one gets nothing', async () => {
    c = await ProxyCluster.start(['node-a', 'node-b', 'node-c']);
    await c.addPod('web-1', 'node-a', 'identity');
    await c.addPod('web-2', 'node-b', 'identity');
    await c.addPod('web-3', 'node-c', 'identity');
    await c.addPod('web-4', 'node-c', 'identity');
    await c.publish([c.service('web', ['web-1', 'web-2', 'web-3', 'web-4'], { unready: ['web-4'] })]);
    assert.deepEqual(tally(await askMany(c.listener('node-a', 'web'), 9)), { 'web-1': 3, 'web-2': 3, 'web-3': 3 });
    assert.equal(c.pods.find((p) => p.name === 'web-4')!.accepted, 0);
    // It turns ready: it takes its share from the next connection on.
    await c.publish([c.service('web', ['web-1', 'web-2', 'web-3', 'web-4'])]);
    assert.deepEqual(tally(await askMany(c.listener('node-a', 'web'), 8)), { 'web-1': 2, 'web-2': 2, 'web-3': 2, 'web-4': 2 });
  });

  it('retries a refused endpoint on another, and counts the refusal on its link', async () => {
    c = await ProxyCluster.start();
    await c.addPod('dead-1', 'node-b', 'closed');
    await c.addPod('web-1', 'node-a', 'identity');
    await c.addPod('dead-2', 'node-a', 'closed');
    await c.publish([c.service('web', ['dead-1', 'web-1', 'dead-2'])]);
    assert.deepEqual(tally(await askMany(c.listener('node-a', 'web'), 6)), { 'web-1': 6 });
    const links = Object.fromEntries(
      c
        .proxy('node-a')
        .links()
        .map((l) => [l.peer, l]),
    );
    assert.ok(links['node-b']!.errors >= 2, `refusals through the tunnel are counted: ${JSON.stringify(links['node-b'])}`);
    assert.ok(links['node-a']!.errors >= 2, `local refusals are counted: ${JSON.stringify(links['node-a'])}`);
    assert.equal(links['node-a']!.opened, 6);
  });

  it('retries past a node whose agent is gone (no tunnel address)', async () => {
    c = await ProxyCluster.start();
    await c.addPod('web-1', 'node-a', 'identity');
    await c.addPod('lost', 'node-b', 'identity');
    await c.publish([c.service('web', ['lost', 'web-1'])]);
    await c.applyAll(delta({ removeNodes: ['node-b'] }));
    assert.deepEqual(tally(await askMany(c.listener('node-a', 'web'), 4)), { 'web-1': 4 });
  });

  it('resets the client when no endpoint is ready', async () => {
    c = await ProxyCluster.start();
    await c.addPod('web-1', 'node-b', 'identity');
    await c.publish([c.service('web', ['web-1'], { unready: ['web-1'] })]);
    const s = net.connect(c.listener('node-a', 'web'), '127.0.0.1');
    s.resume();
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      s.once('error', resolve);
      s.once('end', () => resolve(new Error('ended cleanly instead of a reset')));
    });
    assert.equal(err.code, 'ECONNRESET', err.message);
    s.destroy();
  });

  it('sends no new connections to a terminating pod, nor to a local pod the kubelet is deleting', async () => {
    c = await ProxyCluster.start();
    await c.addPod('web-1', 'node-a', 'identity');
    await c.addPod('web-2', 'node-b', 'identity');
    await c.addPod('web-3', 'node-a', 'identity');
    // The control plane marks the endpoint of a terminating pod not ready.
    await c.publish([c.service('web', ['web-1', 'web-2', 'web-3'], { unready: ['web-2'] })]);
    assert.deepEqual(tally(await askMany(c.listener('node-a', 'web'), 4)), { 'web-1': 2, 'web-3': 2 });
    const web3 = c.pods.find((p) => p.name === 'web-3')!;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-3', namespace: 'default', deletionTimestamp: new Date().toISOString() },
      spec: { containers: [] },
      status: { podIP: web3.ip },
    } as Pod;
    c.proxy('node-a').podDeleting(pod);
    assert.deepEqual(tally(await askMany(c.listener('node-a', 'web'), 3)), { 'web-1': 3 });
  });

  it('keeps a service listener on the same port while the service exists, and closes it when it goes', async () => {
    c = await ProxyCluster.start();
    await c.addPod('web-1', 'node-a', 'identity');
    await c.addPod('web-2', 'node-b', 'identity');
    await c.publish([c.service('web', ['web-1'])]);
    const port = c.listener('node-a', 'web');
    await c.applyAll(delta({ services: [c.service('web', ['web-2'])] }));
    assert.equal(c.listener('node-a', 'web'), port, 'endpoint changes keep the port');
    assert.equal(await exchange(port), 'web-2\n');
    await c.publish([c.service('web', ['web-1', 'web-2'])]);
    assert.equal(c.listener('node-a', 'web'), port, 'a new snapshot keeps the port');
    await c.applyAll(delta({ removeServices: ['default/web'] }));
    assert.equal(c.proxy('node-a').serviceListenPort('default', 'web', 80), undefined);
    await assert.rejects(connect(port), /ECONNREFUSED/);
  });

  it('hands pods HTTP_PROXY and the service variables of their namespace', async () => {
    c = await ProxyCluster.start();
    await c.addPod('web-1', 'node-b', 'identity');
    await c.addPod('db-1', 'node-b', 'identity', { namespace: 'other' });
    await c.publish([c.service('my-web', ['web-1']), c.service('db', ['db-1'], { namespace: 'other', port: 5432 })]);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client-1', namespace: 'default' }, spec: { containers: [] } } as unknown as Pod;
    const env = c.proxy('node-a').podEnv(pod);
    assert.equal(env.HTTP_PROXY, `http://default:client-1@${c.proxy('node-a').httpProxyEndpoint()}`);
    assert.equal(env.MY_WEB_SERVICE_HOST, '127.0.0.1');
    assert.equal(env.MY_WEB_SERVICE_PORT, String(c.listener('node-a', 'my-web')));
    assert.equal(env.DB_SERVICE_HOST, undefined, 'services of other namespaces are not listed');
    assert.equal(await exchange(Number(env.MY_WEB_SERVICE_PORT)), 'web-1\n');
    const noLinks = c.proxy('node-a').podEnv({ ...pod, spec: { containers: [], enableServiceLinks: false } as Pod['spec'] });
    assert.equal(noLinks.MY_WEB_SERVICE_HOST, undefined, 'enableServiceLinks: false');
    assert.ok(noLinks.HTTP_PROXY);
  });

  it('with ClientIP affinity sticks each client pod to one endpoint, telling pods apart by their process', async () => {
    c = await ProxyCluster.start();
    await c.addPod('web-1', 'node-a', 'identity');
    await c.addPod('web-2', 'node-b', 'identity');
    await c.addPod('web-3', 'node-b', 'identity');
    await c.publish([c.service('web', ['web-1', 'web-2', 'web-3'], { affinity: 'ClientIP' })]);
    const port = c.listener('node-a', 'web');
    // Each "pod" is a process with the kubelet's Downward API variables, connecting 4 times.
    const script = `
      const net = require('net');
      (async () => {
        for (let i = 0; i < 4; i++) {
          const got = await new Promise((res, rej) => {
            const s = net.connect(${port}, '127.0.0.1'); let d = '';
            s.on('data', (x) => (d += x)); s.on('end', () => res(d.trim())); s.on('error', rej);
          });
          process.stdout.write(got + ' ');
        }
      })();`;
    const runAs = (name: string) =>
      new Promise<string[]>((resolve, reject) => {
        const child = spawn(process.execPath, ['-e', script], {
          env: { PATH: process.env.PATH, POD_NAMESPACE: 'default', POD_NAME: name },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.once('error', reject);
        child.once('exit', (code) => (code === 0 ? resolve(out.trim().split(' ')) : reject(new Error(`client ${name} exited ${code}`))));
      });
    const first = await runAs('client-a');
    const second = await runAs('client-b');
    assert.equal(new Set(first).size, 1, `client-a stuck to one endpoint: ${first}`);
    assert.equal(new Set(second).size, 1, `client-b stuck to one endpoint: ${second}`);
    assert.notEqual(first[0], second[0], 'the two pods were told apart, so the second was balanced to another endpoint');
    // This test process has no pod identity: it is known by its address, and sticks too.
    assert.equal(new Set(await askMany(port, 3)).size, 1);
  });
});

describe('proxy: the tunnel listener', function () {
  this.timeout(30_000);
  let c: ProxyCluster;
  afterEach(async () => {
    await c?.stop();
  });

  it('opens a tunnel to a local pod for a dialler with the token', async () => {
    c = await ProxyCluster.start();
    const pod = await c.addPod('echo-1', 'node-b', 'echo');
    await c.publish([]);
    const s = await dialTunnel(c.proxy('node-b').tunnelEndpoint(), TOKEN, { podIP: pod.ip, port: 8080 }, { from: 'controlplane' });
    const got = readAll(s);
    s.end('through the tunnel');
    assert.equal((await got).toString(), 'through the tunnel');
    s.destroy();
    assert.equal(
      c
        .proxy('node-b')
        .links()
        .find((l) => l.peer === 'controlplane')?.opened,
      1,
    );
  });

  it('refuses a wrong proof at once, and says so', async () => {
    c = await ProxyCluster.start();
    const pod = await c.addPod('echo-1', 'node-b', 'echo');
    await c.publish([]);
    const started = Date.now();
    await assert.rejects(dialTunnel(c.proxy('node-b').tunnelEndpoint(), 'not-the-token', { podIP: pod.ip, port: 8080 }), (err: unknown) => {
      assert.ok(err instanceof TunnelError);
      assert.equal(err.code, 'BadProof');
      assert.match(err.message, /bad proof: the hello was not signed with this cluster's token/);
      return true;
    });
    assert.ok(Date.now() - started < 1000, 'refused at once');
    assert.equal(pod.accepted, 0, 'the pod never saw the connection');
  });

  it('closes a connection that does not speak the protocol at once, and one that replays a hello', async () => {
    c = await ProxyCluster.start();
    const pod = await c.addPod('echo-1', 'node-b', 'echo');
    await c.publish([]);
    const [host, port] = c.proxy('node-b').tunnelEndpoint().split(':');
    const closedAfter = async (bytes: Buffer) => {
      const s = net.connect(Number(port), host);
      s.on('error', () => undefined);
      const started = Date.now();
      s.write(bytes);
      s.resume();
      await new Promise((r) => s.once('close', r));
      return Date.now() - started;
    };
    assert.ok((await closedAfter(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))) < 1000);
    const h = signHello(TOKEN, { podIP: pod.ip, port: 8080 }, 'node-a');
    const hello = encodeHello(h.signed, h.mac);
    const first = await dialTunnelRaw(Number(port), hello);
    assert.equal(first, 'Ok');
    assert.ok((await closedAfter(hello)) < 1000, 'a replayed hello is refused');
    assert.equal(pod.accepted, 1);
  });

  it('answers Refused with the reason for a pod that is not on its node, or a port nothing listens on', async () => {
    c = await ProxyCluster.start();
    const dead = await c.addPod('dead-1', 'node-b', 'closed');
    await c.publish([]);
    const tunnel = c.proxy('node-b').tunnelEndpoint();
    await assert.rejects(dialTunnel(tunnel, TOKEN, { podIP: '10.244.2.99', port: 8080 }), /Refused|no such pod on this node/);
    await assert.rejects(
      dialTunnel(tunnel, TOKEN, { podIP: dead.ip, port: 8080 }),
      (err: unknown) => err instanceof TunnelError && err.code === 'Refused' && /connection refused/.test(err.message),
    );
    await assert.rejects(dialTunnel(tunnel, TOKEN, { podIP: dead.ip, port: 9999 }), /declares no container port 9999/);
  });

  it('a dial to an agent that is not there is Unreachable', async () => {
    c = await ProxyCluster.start();
    const free = await new Promise<number>((r) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => r(p));
      });
    });
    await assert.rejects(
      dialTunnel(`127.0.0.1:${free}`, TOKEN, { podIP: '10.244.1.2', port: 80 }),
      (err: unknown) => err instanceof TunnelError && err.code === 'Unreachable',
    );
  });
});

/** Sends a raw hello and answers the status name, leaving the connection to close. */
async function dialTunnelRaw(port: number, hello: Buffer): Promise<string> {
  const s = await connect(port);
  s.write(hello);
  const got = await new Promise<Buffer>((resolve) => s.once('data', resolve));
  s.destroy();
  return decodeStatus(got.subarray(2, 2 + got.readUInt16BE(0))).status;
}
