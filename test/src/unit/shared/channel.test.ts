// The Channel over a real ws server on port 0, as the control plane runs it: each connection gets
// its own Channel; a text frame, garbage or a message of the wrong direction closes that one
// connection with 1002 and a reason, and the server keeps serving the others.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import {
  Channel,
  CloseCode,
  decodeFromAgent,
  decodeFromControlPlane,
  encode,
  type ProtocolError,
  type AgentMessage,
  type ControlPlaneMessage,
} from '@kip/shared';
import { eventually } from '../../helpers/wait.js';
import { samples } from './wire-samples.js';

/** Polls often: everything here is on loopback and answers within milliseconds. */
const until = <T>(what: string, probe: () => T | undefined | false) => eventually(what, probe, { timeoutMs: 5000, intervalMs: 5 });

interface ServerSide {
  channel: Channel<AgentMessage, ControlPlaneMessage>;
  received: AgentMessage[];
  closed?: { code: number; reason: string };
  protocolErrors: ProtocolError[];
}

interface ClientSide {
  ws: WebSocket;
  received: ControlPlaneMessage[];
  closed?: { code: number; reason: string };
}

describe('shared/wire/channel', function () {
  this.timeout(10_000);
  let wss: WebSocketServer;
  let url: string;
  let servers: ServerSide[];
  let clients: ClientSide[];

  beforeEach(async () => {
    servers = [];
    clients = [];
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss.on('connection', (ws) => {
      const side: ServerSide = { received: [], protocolErrors: [] } as unknown as ServerSide;
      side.channel = new Channel<AgentMessage, ControlPlaneMessage>(
        ws,
        decodeFromAgent,
        {
          message: (m) => side.received.push(m),
          close: (code, reason) => (side.closed = { code, reason }),
        },
        (err) => side.protocolErrors.push(err),
      );
      servers.push(side);
    });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
  });

  afterEach(async () => {
    for (const c of clients) c.ws.terminate();
    for (const s of servers) s.channel.terminate();
    await until('every server-side connection to be gone', () => wss.clients.size === 0);
    await new Promise<void>((r) => wss.close(() => r()));
    assert.equal(wss.address(), null, 'the server no longer listens');
  });

  /** A raw client: decodes what it gets as an agent would, records how it was closed. */
  async function connect(): Promise<ClientSide> {
    const ws = new WebSocket(url);
    const side: ClientSide = { ws, received: [] };
    ws.on('message', (data) => side.received.push(decodeFromControlPlane(data as Buffer)));
    ws.on('close', (code, reason) => (side.closed = { code, reason: reason.toString() }));
    ws.on('error', () => undefined);
    clients.push(side);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await until('the server to accept', () => servers.length === clients.length);
    return side;
  }

  const serverOf = (c: ClientSide) => servers[clients.indexOf(c)]!;

  it('carries messages both ways', async () => {
    const c = await connect();
    const s = serverOf(c);
    const hello = samples().hello;
    c.ws.send(encode(hello), { binary: true });
    await until('the hello', () => s.received.length === 1);
    assert.deepEqual(s.received[0], hello);
    assert.equal(s.channel.isOpen, true);
    assert.equal(s.channel.send(samples().welcome as ControlPlaneMessage), true);
    await until('the welcome', () => c.received.length === 1);
    assert.deepEqual(c.received[0], samples().welcome);
    assert.equal(typeof s.channel.bufferedAmount, 'number');
  });

  const bad: { name: string; send: (ws: WebSocket) => void; code: string; reason: RegExp }[] = [
    { name: 'a text frame', send: (ws) => ws.send('{"type":"hello"}'), code: 'BadFrame', reason: /^BadFrame: text frames are not part of the protocol$/ },
    {
      name: 'garbage bytes',
      send: (ws) => ws.send(Buffer.from([0x92, 0x01]), { binary: true }),
      code: 'BadFrame',
      reason: /^BadFrame: frame is not valid msgpack: /,
    },
    {
      name: 'an unknown message',
      send: (ws) => ws.send(encode({ type: 'reboot' } as never), { binary: true }),
      code: 'UnknownMessage',
      reason: /^UnknownMessage: unknown message type "reboot"$/,
    },
    {
      name: 'an invalid message',
      send: (ws) => ws.send(encode({ type: 'heartbeat' } as never), { binary: true }),
      code: 'InvalidMessage',
      reason: /^InvalidMessage: invalid heartbeat message: time must be a number$/,
    },
    {
      name: 'a control-plane message from an agent',
      send: (ws) => ws.send(encode(samples().welcome), { binary: true }),
      code: 'UnexpectedMessage',
      reason: /^UnexpectedMessage: an agent may not send welcome$/,
    },
  ];
  for (const b of bad) {
    it(`${b.name} closes that connection with 1002 and a reason; others carry on`, async () => {
      const victim = await connect();
      const bystander = await connect();
      b.send(victim.ws);
      await until('the victim to be closed', () => victim.closed);
      assert.equal(victim.closed!.code, CloseCode.ProtocolError);
      assert.equal(victim.closed!.code, 1002);
      assert.match(victim.closed!.reason, b.reason);
      const vs = serverOf(victim);
      assert.equal(vs.received.length, 0, 'nothing bad is delivered');
      assert.deepEqual(
        vs.protocolErrors.map((e) => e.code),
        [b.code],
      );
      await until('the server side to see the close', () => vs.closed);
      assert.equal(vs.channel.isOpen, false);
      assert.equal(vs.channel.send(samples().welcome as ControlPlaneMessage), false, 'sending on a closed channel is refused, not thrown');

      // The other connection, and new ones, are served as before.
      bystander.ws.send(encode({ type: 'heartbeat', time: 1 }), { binary: true });
      await until('the bystander heartbeat', () => serverOf(bystander).received.length === 1);
      assert.equal(bystander.closed, undefined);
      const late = await connect();
      late.ws.send(encode({ type: 'heartbeat', time: 2 }), { binary: true });
      await until('a new connection to be served', () => serverOf(late).received.length === 1);
    });
  }

  it('clips a long reason to what a close frame can carry', async () => {
    const c = await connect();
    c.ws.send(encode({ type: 'x'.repeat(500) } as never), { binary: true });
    await until('the close', () => c.closed);
    assert.equal(c.closed!.code, 1002);
    assert.ok(Buffer.byteLength(c.closed!.reason) <= 123, `${Buffer.byteLength(c.closed!.reason)} bytes`);
    assert.match(c.closed!.reason, /^UnknownMessage: unknown message type "xxx+\.\.\.$/);
  });

  it('ignores frames that arrive after it closed', async () => {
    const c = await connect();
    const s = serverOf(c);
    c.ws.send('text');
    c.ws.send(encode({ type: 'heartbeat', time: 1 }), { binary: true });
    await until('the close', () => c.closed);
    assert.equal(s.received.length, 0);
    assert.equal(s.protocolErrors.length, 1);
  });

  it('a close from our side reaches the peer with its code and reason', async () => {
    const c = await connect();
    serverOf(c).channel.close(CloseCode.Refused, 'BadToken: the cluster token does not match');
    await until('the close', () => c.closed);
    assert.deepEqual(c.closed, { code: 4001, reason: 'BadToken: the cluster token does not match' });
    await until('the server side to see the close', () => serverOf(c).closed);
    assert.equal(serverOf(c).closed!.code, 4001);
  });

  it('a peer that goes away is reported closed', async () => {
    const c = await connect();
    c.ws.terminate();
    await until('the server side to see the close', () => serverOf(c).closed);
    assert.equal(serverOf(c).closed!.code, 1006);
    assert.equal(serverOf(c).channel.isOpen, false);
  });
});
