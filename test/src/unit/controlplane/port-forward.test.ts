// The pure parts of port forwarding's server side: which protocol an upgrade asks for, the
// WebSocket channel framing client libraries read, and the portforward.k8s.io stream headers.

import assert from 'node:assert/strict';
import { ApiError, channelMessage, checkStreamHeaders, choosePortForwardProtocol, parseChannelPorts, portPrefix, streamRequestId } from '@kip/controlplane';

describe('port-forward protocol choice', () => {
  const cases: [string, string | undefined, string[], string | undefined][] = [
    ['a plain SPDY upgrade (kubectl fallback)', 'SPDY/3.1', [], 'spdy'],
    ["kubectl 1.31+'s WebSocket tunnel", 'websocket', ['SPDY/3.1+portforward.k8s.io'], 'spdy-websocket'],
    ["client-node's channel subprotocols", 'websocket', ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io'], 'channels'],
    ['the bare channel subprotocol', 'websocket', ['channel.k8s.io'], 'channels'],
    ["kip's CLI, with no subprotocol", 'websocket', [], 'kip'],
    ['only subprotocols not served', 'websocket', ['v5.channel.k8s.io', 'v4.base64.channel.k8s.io'], undefined],
  ];
  for (const [name, upgrade, offered, want] of cases) {
    it(name, () => assert.equal(choosePortForwardProtocol(upgrade, offered), want));
  }
});

describe('port-forward WebSocket channels', () => {
  it('reads ports repeated or comma-separated', () => {
    assert.deepEqual(parseChannelPorts(new URLSearchParams('ports=80&ports=8080,9090')), [80, 8080, 9090]);
  });

  it('refuses missing, empty and out-of-range ports, naming the field', () => {
    for (const [query, message] of [
      ['', /"ports" is required/],
      ['ports=', /"ports" cannot be empty/],
      ['ports=0', /unable to parse "0" as a port/],
      ['ports=70000', /unable to parse "70000"/],
      ['ports=http', /unable to parse "http"/],
    ] as const) {
      assert.throws(
        () => parseChannelPorts(new URLSearchParams(query)),
        (e: Error) => e instanceof ApiError && e.code === 400 && message.test(e.message),
        query,
      );
    }
  });

  it('prefixes each message with its channel, and starts each channel with the port, little-endian', () => {
    assert.deepEqual([...channelMessage(2, Buffer.from('hi'))], [2, 0x68, 0x69]);
    assert.deepEqual([...portPrefix(0, 8080)], [0, 0x90, 0x1f]);
    assert.deepEqual([...portPrefix(3, 443)], [3, 0xbb, 0x01]);
  });
});

describe('portforward.k8s.io stream headers', () => {
  it('accepts a data or error stream for a port', () => {
    assert.deepEqual(checkStreamHeaders('data', '8080'), { type: 'data', port: 8080 });
    assert.deepEqual(checkStreamHeaders('error', '1'), { type: 'error', port: 1 });
  });

  it('refuses another stream type or a bad port, saying which', () => {
    assert.throws(() => checkStreamHeaders('resize', '80'), /invalid stream type "resize"/);
    assert.throws(() => checkStreamHeaders('data', undefined), /invalid port header ""/);
    assert.throws(() => checkStreamHeaders('data', '65536'), /invalid port header "65536"/);
  });

  it("pairs streams by requestid, or by the kubelet's rule from the stream ids", () => {
    assert.equal(streamRequestId('data', 3, '7'), '7');
    assert.equal(streamRequestId('error', 1, undefined), '1');
    assert.equal(streamRequestId('data', 3, undefined), '1');
  });
});
