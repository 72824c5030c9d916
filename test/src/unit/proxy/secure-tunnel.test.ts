// Tunnels to an agent on another host run inside TLS keyed by the join token; on one host they
// stay plain. The listener takes both, tells them apart by the first byte, and a peer with the
// wrong token cannot finish the TLS handshake, let alone send a hello.

import assert from 'node:assert/strict';
import net from 'node:net';
import { dialTunnel, parseEndpoint, silentLogger } from '@kip/shared';
import { Links, TunnelServer } from '@kip/agent';

const TOKEN = 'kip-cluster-token-0123456789';

describe('proxy: tunnels inside TLS keyed by the join token', () => {
  let echo: net.Server;
  let server: TunnelServer;
  let endpoint: string;

  before(async () => {
    // The "pod": an echo server that answers after its client half-closes, as a request/response does.
    echo = net.createServer({ allowHalfOpen: true }, (s) => {
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => chunks.push(d));
      s.on('end', () => s.end(Buffer.concat([Buffer.from('echo:'), ...chunks])));
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const podPort = (echo.address() as net.AddressInfo).port;
    server = new TunnelServer({
      nodeName: 'node-2',
      token: TOKEN,
      host: '127.0.0.1',
      links: new Links('node-2'),
      localPort: (ip, port) => (ip === '10.244.2.7' && port === 8080 ? { pod: { namespace: 'default', name: 'p' }, hostPort: podPort } : {}),
      log: silentLogger,
    });
    await server.listen(0);
    endpoint = server.endpoint();
  });

  after(async () => {
    await server.close();
    await new Promise((r) => echo.close(r));
  });

  async function roundTrip(secure: boolean, token = TOKEN): Promise<string> {
    const s = await dialTunnel(endpoint, token, { podIP: '10.244.2.7', port: 8080 }, { from: 'node-1', secure });
    s.resume();
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    const ended = new Promise((r) => s.once('end', r));
    s.end('hello');
    await ended;
    s.destroy();
    return Buffer.concat(chunks).toString();
  }

  it('carries a request and its answer inside TLS, half-close included', async () => {
    assert.equal(await roundTrip(true), 'echo:hello');
  });

  it('still takes plain tunnels from this host', async () => {
    assert.equal(await roundTrip(false), 'echo:hello');
  });

  it('refuses a TLS peer with another token before any hello', async () => {
    await assert.rejects(roundTrip(true, 'wrong-token'), (err: Error) => /tunnel to .*:/.test(err.message));
  });

  describe('a listener that takes only TLS (reachable from other hosts)', () => {
    let strict: TunnelServer;
    before(async () => {
      strict = new TunnelServer({
        nodeName: 'node-3',
        token: TOKEN,
        host: '127.0.0.1',
        requireTls: true,
        links: new Links('node-3'),
        localPort: () => ({}),
        log: silentLogger,
      });
      await strict.listen(0);
    });
    after(() => strict.close());

    it('advertises itself as tls://, which dialers follow without being told', async () => {
      assert.match(strict.endpoint(), /^tls:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual({ ...parseEndpoint(strict.endpoint()), port: 0 }, { host: '127.0.0.1', port: 0, secure: true });
      // The pod is not on node-3: the refusal comes back inside TLS, so the handshake and hello got through.
      await assert.rejects(dialTunnel(strict.endpoint(), TOKEN, { podIP: '10.244.3.9', port: 80 }, { from: 'node-1' }), /Refused|no pod|not on/);
    });

    it('refuses a plain hello', async () => {
      const plain = strict.endpoint().replace('tls://', '');
      await assert.rejects(dialTunnel(plain, TOKEN, { podIP: '10.244.3.9', port: 80 }, { from: 'node-1', secure: false }), /tunnel to /);
    });
  });
});
