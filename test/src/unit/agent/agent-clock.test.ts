// The agent's timers run on the clock it is given: reconnecting after a failed dial, and
// heartbeats once welcomed, move only when a fake clock is advanced. Played against a real
// WebSocket server on port 0 and a port nothing listens on.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { FakeClock, PROFILES, createLogger, decodeFromAgent, encode, type AgentMessage } from '@kip/shared';
import { Agent } from '@kip/agent';
import type { Kubelet } from '@kip/agent';
import { Reports } from '@kip/agent';
import { eventually } from '../../helpers/wait.js';

const idleKubelet = {
  sync: () => undefined,
  running: () => [],
  usage: () => ({ cpu: 0, memory: 0, pods: [] }),
  sampleCount: 0,
  setPodCIDR: () => undefined,
  setTiming: () => undefined,
} as unknown as Kubelet;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('agent: timers on the injected clock', function () {
  this.timeout(20_000);
  let agent: Agent | undefined;
  let server: WebSocketServer | undefined;
  afterEach(async () => {
    agent?.stop();
    agent = undefined;
    for (const ws of server?.clients ?? []) ws.terminate();
    if (server) await new Promise((r) => server!.close(r));
    server = undefined;
  });

  function startAgent(url: string, clock: FakeClock, lines: string[], welcomed?: (timing: unknown) => void): void {
    agent = new Agent({
      name: 'node-1',
      server: url,
      token: 't',
      capacity: { cpu: '1', memory: '1Gi', pods: '10' },
      labels: {},
      log: createLogger('agent', 'debug', (l) => lines.push(l)),
      onRefused: () => undefined,
      clock,
      reports: new Reports(clock),
      kubelet: (w) => {
        welcomed?.(w);
        return idleKubelet;
      },
    });
    agent.start();
  }

  it('dials again only when the clock has passed the reconnect back-off', async () => {
    const s = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => s.once('listening', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const clock = new FakeClock();
    const lines: string[] = [];
    startAgent(`ws://127.0.0.1:${port}/agent/v1/connect`, clock, lines);
    const retries = () => lines.filter((l) => l.includes('control plane not reachable; retrying')).length;
    await eventually('the first dial to fail', () => lines.some((l) => l.includes('cannot reach the control plane')));
    await pause(600);
    assert.equal(retries(), 0, 'no second dial while the clock stands still');
    clock.advance(10_000);
    await eventually('a second dial once the clock moved', () => retries() === 1);
  });

  it('creates the kubelet at the welcome with its pod CIDR and timing, and beats on the clock', async () => {
    const s = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    server = s;
    await new Promise((r) => s.once('listening', r));
    const heartbeats: number[] = [];
    const hellos: AgentMessage[] = [];
    s.on('connection', (ws) => {
      ws.on('message', (data) => {
        const msg = decodeFromAgent(data as Buffer);
        if (msg.type === 'hello') {
          hellos.push(msg);
          ws.send(encode({ type: 'welcome', nodeName: 'node-1', podCIDR: '10.244.4.0/24', timing: { ...PROFILES.fast, heartbeatIntervalMs: 1000 } }));
        }
        if (msg.type === 'heartbeat') heartbeats.push(msg.time);
      });
    });
    const clock = new FakeClock();
    const welcomes: unknown[] = [];
    startAgent(`ws://127.0.0.1:${(s.address() as AddressInfo).port}/agent/v1/connect`, clock, [], (w) => welcomes.push(w));
    await eventually('the first heartbeat', () => heartbeats.length === 1);
    assert.equal((hellos[0] as Extract<AgentMessage, { type: 'hello' }>).pods.length, 0, 'no kubelet before the welcome, no pods');
    assert.deepEqual(welcomes, [{ podCIDR: '10.244.4.0/24', timing: { ...PROFILES.fast, heartbeatIntervalMs: 1000 } }]);
    assert.equal(heartbeats[0], clock.now(), 'the heartbeat carries the clock time');
    await pause(300);
    assert.equal(heartbeats.length, 1, 'no beat while the clock stands still');
    clock.advance(1000);
    await eventually('a second heartbeat once the clock moved', () => heartbeats.length === 2);
    assert.equal(heartbeats[1], clock.now());
  });
});
