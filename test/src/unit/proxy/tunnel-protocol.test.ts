// The tunnel's frames and proof, as bytes: what a valid hello looks like, and every way one is
// refused (tampered, signed with another token, stale, replayed, not a hello at all).

import assert from 'node:assert/strict';
import {
  FrameReader,
  MAX_HELLO_BYTES,
  ReplayGuard,
  TunnelError,
  decodeHello,
  decodeStatus,
  encodeHello,
  encodeHelloFields,
  encodeStatus,
  signHello,
  tunnelMac,
  verifyHello,
} from '@kip/shared';

const TOKEN = 'kip-cluster-token-0123456789';
const NOW = 1_700_000_000_000;

/** A signed hello frame's body (without the length prefix). */
function helloBody(opts: { token?: string; time?: number; podIP?: string; port?: number; from?: string } = {}): Buffer {
  const h = signHello(opts.token ?? TOKEN, { podIP: opts.podIP ?? '10.244.2.7', port: opts.port ?? 8080 }, opts.from ?? 'node-1', opts.time ?? NOW);
  return encodeHello(h.signed, h.mac).subarray(2);
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TunnelError, `expected a TunnelError, got ${String(err)}`);
    return `${err.code}: ${err.message}`;
  }
  return 'ok';
}

describe('proxy: tunnel frames and proof', () => {
  it('a hello round-trips: target, sender, time, nonce', () => {
    const h = decodeHello(helloBody({ podIP: '10.244.3.250', port: 65535, from: 'node-12' }));
    assert.equal(h.podIP, '10.244.3.250');
    assert.equal(h.port, 65535);
    assert.equal(h.from, 'node-12');
    assert.equal(h.time, NOW);
    assert.equal(h.nonce.length, 16);
    assert.equal(h.mac.length, 32);
    assert.deepEqual(h.mac, tunnelMac(TOKEN, h.signed));
  });

  it('a valid proof passes; two hellos for the same target differ (fresh nonce)', () => {
    const a = decodeHello(helloBody());
    const b = decodeHello(helloBody());
    assert.equal(
      code(() => verifyHello(a, TOKEN, { now: NOW })),
      'ok',
    );
    assert.notDeepEqual(a.nonce, b.nonce);
    assert.notDeepEqual(a.mac, b.mac);
  });

  const refusals: [string, () => void, RegExp][] = [
    [
      'signed with another token',
      () => verifyHello(decodeHello(helloBody({ token: 'wrong' })), TOKEN, { now: NOW }),
      /^BadProof: bad proof: the hello was not signed with this cluster's token/,
    ],
    [
      'target tampered with after signing',
      () => {
        const body = Buffer.from(helloBody({ port: 8080 }));
        body.writeUInt16BE(22, 4 + 1 + 16 + 8 + 4); // retarget to port 22
        verifyHello(decodeHello(body), TOKEN, { now: NOW });
      },
      /^BadProof: bad proof: the hello was not signed/,
    ],
    [
      'MAC flipped',
      () => {
        const body = Buffer.from(helloBody());
        body[body.length - 1]! ^= 1;
        verifyHello(decodeHello(body), TOKEN, { now: NOW });
      },
      /^BadProof/,
    ],
    [
      'stale: signed a minute ago',
      () => verifyHello(decodeHello(helloBody({ time: NOW - 60_000 })), TOKEN, { now: NOW }),
      /^BadProof: bad proof: stale hello \(clocks 60s apart; at most 30s allowed\)/,
    ],
    [
      'from the future beyond the window',
      () => verifyHello(decodeHello(helloBody({ time: NOW + 45_000 })), TOKEN, { now: NOW }),
      /^BadProof: bad proof: stale hello/,
    ],
    ['not a hello at all', () => decodeHello(Buffer.from('GET / HTTP/1.1\r\n\r\n')), /^ProtocolError: not a kip tunnel hello \(bad magic\)/],
    ['truncated', () => decodeHello(helloBody().subarray(0, 40)), /^ProtocolError: tunnel hello too short/],
    ['trailing bytes', () => decodeHello(Buffer.concat([helloBody(), Buffer.from([0])])), /^ProtocolError: tunnel hello length \d+ does not match/],
    [
      'another protocol version',
      () => {
        const body = Buffer.from(helloBody());
        body[4] = 9;
        decodeHello(body);
      },
      /^ProtocolError: tunnel protocol version 9 is not supported/,
    ],
    [
      'target not IPv4',
      () => encodeHelloFields({ nonce: Buffer.alloc(16), time: NOW, podIP: 'web.default', port: 80, from: '' }),
      /^ProtocolError: tunnel target "web.default" is not an IPv4 address/,
    ],
    ['port 0', () => encodeHelloFields({ nonce: Buffer.alloc(16), time: NOW, podIP: '10.244.1.2', port: 0, from: '' }), /^ProtocolError: tunnel target port 0/],
  ];
  for (const [name, fn, want] of refusals) {
    it(`refuses a hello ${name}`, () => assert.match(code(fn), want));
  }

  it('a replayed hello is refused within the window, whatever its proof', () => {
    const guard = new ReplayGuard(30_000);
    const h = decodeHello(helloBody());
    assert.equal(
      code(() => verifyHello(h, TOKEN, { now: NOW, guard })),
      'ok',
    );
    assert.match(
      code(() => verifyHello(h, TOKEN, { now: NOW + 1000, guard })),
      /^BadProof: bad proof: replayed hello/,
    );
    assert.equal(guard.size, 1);
  });

  it('the replay guard forgets nonces once they could no longer be fresh', () => {
    const guard = new ReplayGuard(1000);
    const n = Buffer.alloc(16, 1);
    assert.equal(guard.admit(n, 0), true);
    assert.equal(guard.admit(n, 1500), false);
    assert.equal(guard.admit(Buffer.alloc(16, 2), 2500), true);
    assert.equal(guard.size, 1, 'the first nonce expired and was swept');
    assert.equal(guard.admit(n, 2600), true);
  });

  it('status frames round-trip; long reasons are cut; unknown statuses are protocol errors', () => {
    const ok = encodeStatus('Ok');
    assert.deepEqual(decodeStatus(ok.subarray(2)), { status: 'Ok', reason: '' });
    const refused = encodeStatus('Refused', 'no such pod on this node');
    assert.equal(refused.readUInt16BE(0), refused.length - 2);
    assert.deepEqual(decodeStatus(refused.subarray(2)), { status: 'Refused', reason: 'no such pod on this node' });
    assert.equal(decodeStatus(encodeStatus('BadProof', 'x'.repeat(5000)).subarray(2)).reason.length, 1024);
    const bad = Buffer.from(ok.subarray(2));
    bad[4] = 77;
    assert.match(
      code(() => decodeStatus(bad)),
      /^ProtocolError: unknown tunnel status 77/,
    );
  });

  it('the frame reader assembles a frame from any split and hands back what follows it', () => {
    const frame = encodeStatus('Refused', 'connection refused');
    const wire = Buffer.concat([frame, Buffer.from('pod bytes')]);
    for (let size = 1; size <= wire.length; size++) {
      const r = new FrameReader(2048);
      let got: { body: Buffer; rest: Buffer } | undefined;
      let fed = 0;
      while (!got && fed < wire.length) {
        got = r.push(wire.subarray(fed, fed + size));
        fed += size;
      }
      assert.ok(got, `chunks of ${size}`);
      assert.deepEqual(decodeStatus(got.body), { status: 'Refused', reason: 'connection refused' });
      assert.equal(Buffer.concat([got.rest, wire.subarray(fed)]).toString(), 'pod bytes', `chunks of ${size}`);
    }
  });

  it('the frame reader refuses a length beyond the limit before reading it', () => {
    const r = new FrameReader(MAX_HELLO_BYTES);
    assert.match(
      code(() => r.push(Buffer.from([0xff, 0xff, 1, 2, 3]))),
      /^ProtocolError: tunnel frame of 65535 bytes is longer than the \d+ allowed/,
    );
  });
});
