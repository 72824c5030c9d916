// What the agent tells its user about its connection to the control plane: an agent started with
// a wrong --server (or before the control plane) says so once at warn level, naming the address
// and the error, instead of retrying in silence; retries after that stay at debug level. Played
// against a real WebSocket server on port 0 and a port nothing listens on.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { PROFILES, createLogger, decodeFromAgent, encode, realClock } from '@kip/shared';
import { Agent, Reports, type Kubelet } from '@kip/agent';
import { eventually } from '../../helpers/wait.js';

const idleKubelet = {
  sync: () => undefined,
  upsert: () => undefined,
  remove: () => undefined,
  running: () => [],
  usage: () => ({ cpu: 0, memory: 0, pods: [] }),
  setPodCIDR: () => undefined,
  setTiming: () => undefined,
} as unknown as Kubelet;

async function freePort(): Promise<number> {
  const s = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('agent: telling the user about the control plane connection', function () {
  this.timeout(20_000);
  let agent: Agent | undefined;
  let lines: string[];

  beforeEach(() => {
    lines = [];
  });
  afterEach(() => {
    agent?.stop();
    agent = undefined;
  });

  function startAgent(url: string): void {
    agent = new Agent({
      name: 'node-1',
      server: url,
      token: 't',
      capacity: { cpu: '1', memory: '1Gi', pods: '10' },
      labels: {},
      log: createLogger('agent', 'debug', (l) => lines.push(l)),
      onRefused: () => undefined,
      kubelet: () => idleKubelet,
      reports: new Reports(realClock),
    });
    agent.start();
  }
  const warnings = () => lines.filter((l) => / WARN /.test(l));
  const retries = () => lines.filter((l) => l.includes('control plane not reachable; retrying'));

  it('warns once, naming the server and the error, when the control plane cannot be reached', async () => {
    const url = `ws://127.0.0.1:${await freePort()}/agent/v1/connect`;
    startAgent(url);
    await eventually('two quiet retries after the warning', () => retries().length >= 2, { timeoutMs: 15_000 });
    const warned = warnings();
    assert.equal(warned.length, 1, `one warning, got: ${warned.join('\n')}`);
    assert.match(warned[0]!, /cannot reach the control plane/);
    assert.ok(warned[0]!.includes(url), 'names the server it dials');
    assert.match(warned[0]!, /ECONNREFUSED/);
  });

  it('after losing a control plane it was joined to, says so once and not again per retry', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    server.on('connection', (ws) => {
      ws.on('message', (data) => {
        if (decodeFromAgent(data as Buffer).type === 'hello')
          ws.send(encode({ type: 'welcome', nodeName: 'node-1', podCIDR: '10.244.1.0/24', timing: PROFILES.fast }));
      });
    });
    startAgent(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/agent/v1/connect`);
    await eventually('the agent to join', () => server.clients.size === 1);
    for (const ws of server.clients) ws.terminate();
    await new Promise((r) => server.close(r));
    await eventually('two quiet retries after the loss', () => retries().length >= 2, { timeoutMs: 15_000 });
    const warned = warnings();
    assert.equal(warned.length, 1, `one warning, got: ${warned.join('\n')}`);
    assert.match(warned[0]!, /lost the control plane/);
  });
});
