// Network faults on real sockets, in one process: two nodes' proxies (the ProxyCluster harness),
// a pod on node-b, and a LinkShaper on node-a's link to node-b, as the agent sets one. Each fault
// is measured from the client's side: delay adds latency in the direction asked and keeps order,
// bandwidth caps throughput, reset refuses and cuts connections, partition and timeout hold bytes
// without closing anything and let them through on heal, and a fault set after a connection
// opened still acts on it.

import assert from 'node:assert/strict';
import type net from 'node:net';
import { createLogger, type NetworkFault } from '@kip/shared';
import { LinkShaper } from '@kip/agent';
import { ProxyCluster, connect, readAll } from '../proxy/harness.js';
import { eventually } from '../../helpers/wait.js';

const log = createLogger('test', process.env.KIP_TEST_VERBOSE ? 'debug' : 'error');

function fault(action: NetworkFault['action'], direction: NetworkFault['direction'], extra: Partial<NetworkFault> = {}): NetworkFault {
  return { chaos: 'default/test', peer: 'node-b', direction, action, seed: 1, ...extra };
}

/** Sends a byte and waits for the echo; answers the round trip in ms. */
async function roundTrip(s: net.Socket, data = 'x'): Promise<number> {
  const start = performance.now();
  const got = new Promise<void>((resolve) => {
    let seen = '';
    const on = (d: Buffer) => {
      seen += d.toString();
      if (seen.length >= data.length) {
        s.off('data', on);
        resolve();
      }
    };
    s.on('data', on);
  });
  s.write(data);
  await got;
  return performance.now() - start;
}

/** Resolves once `text` has arrived; fails after ms. */
function arrives(s: net.Socket, text: string, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`"${text}" did not arrive within ${ms} ms (got "${seen}")`)), ms);
    const on = (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        s.off('data', on);
        resolve(seen);
      }
    };
    s.on('data', on);
  });
}

/** Resolves with what arrives within ms (nothing, for a held link). */
function receivedWithin(s: net.Socket, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let seen = '';
    const on = (d: Buffer) => (seen += d.toString());
    s.on('data', on);
    setTimeout(() => {
      s.off('data', on);
      resolve(seen);
    }, ms);
  });
}

describe('chaos: network fault stages on real sockets', function () {
  this.timeout(30_000);
  let c: ProxyCluster;
  let shaper: LinkShaper | undefined;
  const sockets: net.Socket[] = [];

  async function start(podBehaviour: Parameters<ProxyCluster['addPod']>[2] = 'echo'): Promise<void> {
    c = await ProxyCluster.start();
    await c.addPod('far', 'node-b', podBehaviour);
    await c.addPod('near', 'node-a', 'echo');
    await c.publish([c.service('far', ['far']), c.service('near', ['near'])]);
    shaper = new LinkShaper('node-b', c.proxy('node-a').link('node-b'), log);
  }

  async function open(service = 'far'): Promise<net.Socket> {
    const s = await connect(c.listener('node-a', service));
    s.on('error', () => undefined);
    sockets.push(s);
    return s;
  }

  afterEach(async () => {
    shaper?.close();
    shaper = undefined;
    for (const s of sockets.splice(0)) s.destroy();
    await c?.stop();
  });

  it('delay adds latency in the direction asked, on that link only', async () => {
    await start();
    const s = await open();
    const local = await open('near');
    const base = await roundTrip(s);
    shaper!.update([fault('delay', 'toPeer', { latencyMs: 150 })]);
    const one = await open();
    const oneWay = await roundTrip(one);
    assert.ok(oneWay >= 145 && oneWay < base + 600, `one way: ${oneWay} ms`);
    shaper!.update([fault('delay', 'both', { latencyMs: 150 })]);
    const two = await open();
    const both = await roundTrip(two);
    assert.ok(both >= 295, `both ways: ${both} ms`);
    assert.ok((await roundTrip(local)) < 100, 'the local link is not delayed');
  });

  it('keeps order under jitter', async () => {
    await start();
    shaper!.update([fault('delay', 'toPeer', { latencyMs: 20, jitterMs: 15, correlation: 0.25 })]);
    const s = await open();
    const chunks = Array.from({ length: 200 }, (_, i) => `${String(i).padStart(4, '0')};`);
    const expected = chunks.join('');
    const got = new Promise<string>((resolve) => {
      let seen = '';
      s.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.length >= expected.length) resolve(seen);
      });
    });
    for (const ch of chunks) {
      s.write(ch);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(await got, expected);
  });

  it('bandwidth caps the rate of a transfer, shared by the link', async () => {
    await start((sock) => {
      // Reads everything, then says how much.
      let n = 0;
      sock.on('data', (d: Buffer) => (n += d.length));
      sock.on('end', () => sock.end(String(n)));
    });
    shaper!.update([fault('bandwidth', 'toPeer', { bytesPerSecond: 500_000 })]);
    const s = await open();
    const size = 400_000;
    const start0 = performance.now();
    const reply = readAll(s);
    s.end(Buffer.alloc(size));
    assert.equal((await reply).toString(), String(size));
    const secs = (performance.now() - start0) / 1000;
    // 400 kB at 500 kB/s, less one burst of 10 kB: at least ~0.75 s; and not absurdly slow.
    assert.ok(secs >= 0.7 && secs < 5, `took ${secs.toFixed(2)} s`);
  });

  it('reset refuses new connections and cuts live ones', async () => {
    await start();
    const live = await open();
    await roundTrip(live);
    const closed = new Promise<string>((resolve) => live.once('close', () => resolve('closed')));
    shaper!.update([fault('reset', 'both', { probability: 1 })]);
    assert.equal(await closed, 'closed', 'a live connection is reset within a tick');
    // The listener resets the client as soon as the link refuses: at connect, or right after.
    const refused = await open().then(
      (fresh) =>
        new Promise<string>((resolve) => {
          fresh.once('close', () => resolve('closed'));
          fresh.write('x');
        }),
      (err: NodeJS.ErrnoException) => err.code ?? 'error',
    );
    assert.ok(refused === 'closed' || refused === 'ECONNRESET', `a new connection is refused (${refused})`);
    assert.ok(
      c
        .proxy('node-a')
        .links()
        .find((l) => l.peer === 'node-b')!.errors > 0,
    );
  });

  it('a partition stalls the direction asked without closing anything, and lets the bytes through on heal', async () => {
    await start();
    const s = await open();
    await roundTrip(s);
    // node-a -> node-b held: the request does not arrive, so nothing echoes back.
    shaper!.update([fault('partition', 'toPeer')]);
    s.write('held');
    assert.equal(await receivedWithin(s, 400), '', 'nothing crosses');
    assert.ok(!s.destroyed && !s.readableEnded, 'and nothing is closed');
    const delivered = arrives(s, 'held');
    shaper!.update([]);
    assert.equal(await delivered, 'held', 'what was sent during the partition arrives after it');
  });

  it('a one-way partition lets the other direction flow on open connections', async () => {
    let toClient: net.Socket | undefined;
    await start((sock) => {
      toClient = sock;
      sock.on('data', () => undefined);
    });
    const s = await open();
    await eventually('the pod to have the connection', () => toClient !== undefined);
    shaper!.update([fault('partition', 'toPeer')]);
    const got = receivedWithin(s, 400);
    toClient!.write('from the pod');
    assert.equal(await got, 'from the pod', 'node-b -> node-a still flows');
  });

  it('a connection opened during a partition is held both ways until it heals', async () => {
    await start('identity');
    shaper!.update([fault('partition', 'toPeer')]);
    const s = await open();
    assert.equal(await receivedWithin(s, 400), '', 'held, not refused');
    assert.ok(!s.destroyed);
    const got = readAll(s);
    shaper!.update([]);
    assert.equal((await got).toString(), 'far\n');
  });

  it('a timeout (blackhole) stops data both ways as asked and closes nothing', async () => {
    await start();
    const s = await open();
    await roundTrip(s);
    shaper!.update([fault('timeout', 'both')]);
    s.write('void');
    assert.equal(await receivedWithin(s, 400), '');
    assert.ok(!s.destroyed);
    const later = arrives(s, 'void');
    shaper!.update([]);
    assert.equal(await later, 'void');
  });

  it('a fault set after a connection opened acts on it (the stage is put in)', async () => {
    await start();
    const s = await open();
    const before = await roundTrip(s);
    shaper!.update([fault('delay', 'fromPeer', { latencyMs: 200 })]);
    const after = await roundTrip(s);
    assert.ok(after >= 195 && after > before, `before ${before} ms, after ${after} ms`);
    shaper!.update([]);
    assert.ok((await roundTrip(s)) < 150, 'and heals on the same connection');
  });

  it('pushes back on a sender across a held link instead of buffering without bound', async () => {
    await start();
    const s = await open();
    await roundTrip(s);
    shaper!.update([fault('partition', 'toPeer')]);
    const chunk = Buffer.alloc(64 * 1024);
    let written = 0;
    while (s.write(chunk) && written < 64 * 1024 * 1024) written += chunk.length;
    // The link stops reading once its stage is full: the socket's own buffer fills and write() says so.
    assert.ok(written < 16 * 1024 * 1024, `wrote ${written} bytes before backpressure`);
    const link = c
      .proxy('node-a')
      .links()
      .find((l) => l.peer === 'node-b')!;
    assert.equal(link.active, 1);
  });
});
