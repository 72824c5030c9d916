// The agent's link to the control plane, made faultable: a real WebSocket client (ws) dialling
// through AgentChaos.connectControlPlane to a real WebSocket server. Faults on the link delay its
// frames; a partition holds them and closes nothing; a connection opened during one is not even
// dialled until it heals; and one the agent gives up on during a partition closes at the server
// only when the partition heals, as a FIN would.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket, { WebSocketServer } from 'ws';
import { createLogger, type NetworkFault } from '@kip/shared';
import { AgentChaos } from '@kip/agent';
import type { LinkConnection, LinkFault } from '@kip/agent';
import { eventually } from '../../helpers/wait.js';

const log = createLogger('test', process.env.KIP_TEST_VERBOSE ? 'debug' : 'error');

function cpFault(action: NetworkFault['action'], direction: NetworkFault['direction'], extra: Partial<NetworkFault> = {}): NetworkFault {
  return { chaos: 'default/cp', controlPlane: true, direction, action, seed: 3, ...extra };
}

describe('chaos: the agent link to the control plane', function () {
  this.timeout(20_000);
  let wss: WebSocketServer;
  let port: number;
  let chaos: AgentChaos;
  const serverSockets = new Set<WebSocket>();
  const clients: WebSocket[] = [];
  let accepted = 0;

  beforeEach(async () => {
    accepted = 0;
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss.on('connection', (ws) => {
      accepted++;
      serverSockets.add(ws);
      ws.on('close', () => serverSockets.delete(ws));
      ws.on('message', (data) => ws.send(data));
    });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    port = (wss.address() as AddressInfo).port;
    const noLink = { setFault: (_f: LinkFault | undefined) => undefined, connections: (): LinkConnection[] => [] };
    chaos = new AgentChaos({ nodeName: 'node-1', nodeDir: '/nonexistent', log, link: () => noLink, event: () => undefined });
  });

  afterEach(async () => {
    chaos.stop();
    for (const c of clients.splice(0)) c.terminate();
    for (const s of serverSockets) s.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  });

  function dial(): WebSocket {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
      handshakeTimeout: 5000,
      createConnection: (o: { host?: string | null; port?: number | string | null }) =>
        chaos.connectControlPlane({ host: String(o.host ?? '127.0.0.1'), port: Number(o.port) }) as never,
    });
    ws.on('error', () => undefined);
    clients.push(ws);
    return ws;
  }

  const opened = (ws: WebSocket) =>
    new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('close', () => reject(new Error('closed before open')))));
  async function echo(ws: WebSocket, text: string): Promise<number> {
    const start = performance.now();
    const got = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
    ws.send(text);
    assert.equal(await got, text);
    return performance.now() - start;
  }

  it('speaks WebSocket through its stages, and delays frames when asked', async () => {
    const ws = dial();
    await opened(ws);
    assert.ok((await echo(ws, 'hello')) < 100);
    chaos.setFaults([cpFault('delay', 'toPeer', { latencyMs: 150 })]);
    const slow = await echo(ws, 'slow');
    assert.ok(slow >= 145, `delayed: ${slow} ms`);
    chaos.setFaults([]);
    assert.ok((await echo(ws, 'quick')) < 100);
  });

  it('a partition holds frames without closing the connection; heal delivers them', async () => {
    const ws = dial();
    await opened(ws);
    chaos.setFaults([cpFault('partition', 'both')]);
    let got = '';
    ws.on('message', (d) => (got += d.toString()));
    ws.send('during');
    await sleep(300);
    assert.equal(got, '');
    assert.equal(ws.readyState, WebSocket.OPEN);
    assert.equal(serverSockets.size, 1);
    chaos.setFaults([]);
    await eventually('the held frame to arrive and come back', () => got === 'during');
  });

  it('a connection opened during a partition is not dialled until it heals', async () => {
    chaos.setFaults([cpFault('partition', 'toPeer')]);
    const ws = dial();
    await sleep(300);
    assert.equal(accepted, 0, 'no connection reached the server');
    const open = opened(ws);
    chaos.setFaults([]);
    await open;
    assert.equal(accepted, 1);
  });

  it('a connection given up during a partition closes at the server only when it heals', async () => {
    const ws = dial();
    await opened(ws);
    const server = [...serverSockets][0]!;
    let serverClosed = false;
    server.on('close', () => (serverClosed = true));
    chaos.setFaults([cpFault('partition', 'both')]);
    ws.terminate();
    await sleep(300);
    assert.equal(serverClosed, false, 'the close is held like any other bytes');
    chaos.setFaults([]);
    await eventually('the server to see the close', () => serverClosed);
  });

  it('resets the connection when a reset fault fires', async () => {
    const ws = dial();
    await opened(ws);
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    chaos.setFaults([cpFault('reset', 'both', { probability: 1 })]);
    assert.equal(await closed, 1006, 'an abnormal close, as after a TCP reset');
  });
});
