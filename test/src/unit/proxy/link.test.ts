// Links: the one place a connection's bytes go through, counted per peer, and where faults hook
// in. A fault's admit() refuses new connections, its stages see every byte of new connections
// (spliced or forwarded by the HTTP proxy), and connections() lets it act on open ones.

import assert from 'node:assert/strict';
import http from 'node:http';
import { PassThrough, Transform } from 'node:stream';
import type { LinkConnectionInfo, LinkDirection, LinkFault } from '@kip/agent';
import { eventually } from '../../helpers/wait.js';
import { ProxyCluster, connect, exchange, readAll } from './harness.js';

/** A fault whose stages count the bytes each way and pass them on untouched. */
function countingFault(): LinkFault & { seen: Record<LinkDirection, number>; infos: LinkConnectionInfo[] } {
  const seen: Record<LinkDirection, number> = { toPeer: 0, fromPeer: 0 };
  const infos: LinkConnectionInfo[] = [];
  return {
    seen,
    infos,
    stage(direction, info) {
      if (direction === 'toPeer') infos.push(info);
      return new Transform({
        transform(chunk: Buffer, _enc, done) {
          seen[direction] += chunk.length;
          done(null, chunk);
        },
      });
    },
  };
}

function httpGet(proxy: string, url: string): Promise<{ status: number; body: string }> {
  const [host, port] = proxy.split(':');
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), path: url, headers: { host: new URL(url).host }, agent: false });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('proxy: links and their fault hook', function () {
  this.timeout(30_000);
  let c: ProxyCluster;
  afterEach(async () => {
    await c?.stop();
  });

  it('counts connections opened and active, and bytes each way, per peer', async () => {
    c = await ProxyCluster.start();
    await c.addPod('echo-1', 'node-b', 'echo');
    await c.publish([c.service('echo', ['echo-1'])]);
    const s = await connect(c.listener('node-a', 'echo'));
    s.write('12345');
    await new Promise((r) => s.once('data', r));
    const open = c.proxy('node-a').links()[0]!;
    assert.deepEqual([open.peer, open.opened, open.active, open.bytesSent, open.bytesReceived], ['node-b', 1, 1, 5, 5]);
    const got = readAll(s);
    s.end('678');
    await got;
    s.destroy();
    await eventually('the connection to close', () => c.proxy('node-a').links()[0]!.active === 0);
    const closed = c.proxy('node-a').links()[0]!;
    assert.deepEqual([closed.opened, closed.active, closed.bytesSent, closed.bytesReceived, closed.errors, closed.faulty], [1, 0, 8, 8, 0, false]);
  });

  it('puts a fault stage in each direction of new connections; without one the bytes flow directly again', async () => {
    c = await ProxyCluster.start();
    await c.addPod('echo-1', 'node-b', 'echo');
    await c.publish([c.service('echo', ['echo-1'])]);
    const fault = countingFault();
    const link = c.proxy('node-a').link('node-b');
    link.setFault(fault);
    assert.equal(c.proxy('node-a').links()[0]!.faulty, true);
    assert.equal(await exchange(c.listener('node-a', 'echo'), 'through the fault'), 'through the fault');
    assert.deepEqual(fault.seen, { toPeer: 17, fromPeer: 17 });
    assert.deepEqual(fault.infos, [{ peer: 'node-b', inbound: false, target: `${c.pods[0]!.ip}:8080` }]);
    link.setFault(undefined);
    assert.equal(await exchange(c.listener('node-a', 'echo'), 'direct'), 'direct');
    assert.deepEqual(fault.seen, { toPeer: 17, fromPeer: 17 }, 'the cleared fault saw nothing more');
  });

  it('applies the stages to requests the HTTP proxy forwards too', async () => {
    c = await ProxyCluster.start();
    await c.addPod('web-1', 'node-b', 'http');
    await c.publish([c.service('web', ['web-1'])]);
    const fault = countingFault();
    c.proxy('node-a').link('node-b').setFault(fault);
    const r = await httpGet(c.proxy('node-a').httpProxyEndpoint(), 'http://web/x');
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { pod: string }).pod, 'web-1');
    assert.ok(fault.seen.toPeer > 20 && fault.seen.fromPeer > r.body.length, `stages saw the request and response: ${JSON.stringify(fault.seen)}`);
    await eventually('the forwarded connection to be counted closed', () => c.proxy('node-a').links()[0]!.active === 0);
    assert.equal(c.proxy('node-a').links()[0]!.opened, 1);
  });

  it('a fault that refuses new connections sends them to endpoints on other links, and counts the refusals', async () => {
    c = await ProxyCluster.start();
    await c.addPod('web-remote', 'node-b', 'identity');
    await c.addPod('web-local', 'node-a', 'identity');
    await c.publish([c.service('web', ['web-remote', 'web-local'])]);
    c.proxy('node-a')
      .link('node-b')
      .setFault({ admit: () => new Error('partitioned from node-b') });
    for (let i = 0; i < 4; i++) assert.equal(await exchange(c.listener('node-a', 'web')), 'web-local\n');
    assert.equal(c.pods.find((p) => p.name === 'web-remote')!.accepted, 0);
    assert.ok(
      c
        .proxy('node-a')
        .links()
        .find((l) => l.peer === 'node-b')!.errors >= 2,
    );
    const viaHttp = await httpGet(c.proxy('node-a').httpProxyEndpoint(), `http://${c.pods[0]!.ip}:8080/`);
    assert.equal(viaHttp.status, 502);
    assert.match(viaHttp.body, /partitioned from node-b/);
  });

  it('lets a fault reset the connections a link carries', async () => {
    c = await ProxyCluster.start();
    await c.addPod('echo-1', 'node-b', 'echo');
    await c.publish([c.service('echo', ['echo-1'])]);
    const s = await connect(c.listener('node-a', 'echo'));
    const ended = readAll(s);
    s.write('x');
    await eventually('the connection to be carried', () => c.proxy('node-a').link('node-b').connections().length === 1);
    for (const conn of c.proxy('node-a').link('node-b').connections()) conn.destroy(new Error('injected reset'));
    await assert.rejects(ended, /ECONNRESET/);
    s.destroy();
    await eventually('the link to drop the connection', () => c.proxy('node-a').link('node-b').connections().length === 0);
  });

  it('carries connections without a fault on the fast path, and with one through pipes', async () => {
    c = await ProxyCluster.start();
    await c.addPod('echo-1', 'node-b', 'echo');
    await c.publish([c.service('echo', ['echo-1'])]);
    const link = c.proxy('node-a').link('node-b');
    const plain = await connect(c.listener('node-a', 'echo'));
    await eventually('the connection to be carried', () => link.connections().length === 1);
    assert.equal(link.connections()[0]!.fast, true);
    assert.equal(c.proxy('node-b').link('node-a').connections()[0]?.fast, true, 'and on the far agent too');
    plain.destroy();
    await eventually('it to close', () => link.connections().length === 0);
    link.setFault(countingFault());
    const shaped = await connect(c.listener('node-a', 'echo'));
    await eventually('the connection to be carried', () => link.connections().length === 1);
    assert.equal(link.connections()[0]!.fast, false);
    assert.equal(link.connections()[0]!.interpose!('toPeer', new PassThrough()), false, 'that direction has its stage already');
    shaped.destroy();
  });

  it('puts a fault set after a connection opened into it, keeping every byte in order', async () => {
    c = await ProxyCluster.start();
    await c.addPod('echo-1', 'node-b', 'echo');
    await c.publish([c.service('echo', ['echo-1'])]);
    const s = await connect(c.listener('node-a', 'echo'));
    const received = readAll(s);
    const link = c.proxy('node-a').link('node-b');
    await eventually('the connection to be carried', () => link.connections().length === 1);
    const conn = link.connections()[0]!;
    const sent: Buffer[] = [];
    const write = (b: Buffer) => {
      sent.push(b);
      return s.write(b);
    };
    for (let i = 0; i < 64; i++) write(Buffer.alloc(64 * 1024, i));
    // A stage that takes each chunk at once and passes it on a moment later, as a latency fault's
    // queue does: the fast path must not reuse a read buffer the stage still holds.
    const held = { toPeer: 0, fromPeer: 0 };
    const delaying = (direction: 'toPeer' | 'fromPeer') => {
      let pending = 0;
      let flushed: (() => void) | undefined;
      return new Transform({
        transform(chunk: Buffer, _enc, done) {
          held[direction] += chunk.length;
          pending++;
          setTimeout(() => {
            this.push(chunk);
            if (--pending === 0) flushed?.();
          }, 1);
          done();
        },
        flush(done) {
          if (pending === 0) done();
          else flushed = done;
        },
      });
    };
    assert.equal(conn.interpose!('toPeer', delaying('toPeer')), true);
    assert.equal(conn.interpose!('fromPeer', delaying('fromPeer')), true);
    assert.equal(conn.interpose!('toPeer', new PassThrough()), false, 'one stage per direction');
    for (let i = 64; i < 192; i++) write(Buffer.alloc(64 * 1024, i));
    s.end();
    const got = await received;
    assert.equal(got.length, 192 * 64 * 1024);
    assert.ok(got.equals(Buffer.concat(sent)), 'every byte back, in order');
    assert.ok(held.toPeer > 0 && held.fromPeer > 0, `the stages carried bytes after they were put in: ${JSON.stringify(held)}`);
    s.destroy();
  });

  it('an error inside a stage resets both ends', async () => {
    c = await ProxyCluster.start();
    await c.addPod('echo-1', 'node-b', 'echo');
    await c.publish([c.service('echo', ['echo-1'])]);
    const stages: PassThrough[] = [];
    c.proxy('node-a')
      .link('node-b')
      .setFault({
        stage: () => {
          const p = new PassThrough();
          stages.push(p);
          return p;
        },
      });
    const s = await connect(c.listener('node-a', 'echo'));
    const ended = readAll(s);
    await eventually('the stages to be in place', () => stages.length === 2);
    stages[0]!.destroy(new Error('shaper failed'));
    await assert.rejects(ended, /ECONNRESET/);
    s.destroy();
    await eventually('the link to count the error', () => c.proxy('node-a').links()[0]!.errors === 1);
  });
});
