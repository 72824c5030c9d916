// The agent's side of the routing table: like the kubelet waiting for services to sync, it starts
// pods only once the first routing snapshot is applied (so they get their service variables), or
// after a bounded wait when none comes; and it tells the proxy about a pod's deletion before the
// kubelet stops it. Played against a WebSocket server speaking the control plane's protocol.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { PROFILES, decodeFromAgent, encode, realClock, silentLogger, type ControlPlaneMessage, type Pod, type Routes } from '@kip/shared';
import { Agent, Reports, type Kubelet } from '@kip/agent';
import { eventually } from '../../helpers/wait.js';

function pod(name: string, deleting = false): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, ...(deleting ? { deletionTimestamp: new Date().toISOString() } : {}) },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'pause' }] },
    status: { podIP: '10.244.1.5' },
  } as Pod;
}

/** A kubelet that only records what the agent asks of it. */
function recordingKubelet(calls: string[]): Kubelet {
  return {
    sync: (pods: Pod[]) => calls.push(`sync ${pods.map((p) => p.metadata.name).join(',')}`),
    upsert: (p: Pod) => calls.push(`upsert ${p.metadata.name}${p.metadata.deletionTimestamp ? ' (deleting)' : ''}`),
    remove: (r: { name: string }) => calls.push(`remove ${r.name}`),
    running: () => [],
    usage: () => ({ cpu: 0, memory: 0, pods: [] }),
    setPodCIDR: () => undefined,
    setTiming: () => undefined,
  } as unknown as Kubelet;
}

describe('proxy: the agent waits for the routing table before starting pods', function () {
  this.timeout(20_000);
  let server: WebSocketServer;
  let agent: Agent | undefined;
  let connection: WebSocket | undefined;

  beforeEach(async () => {
    connection = undefined;
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    server.on('connection', (ws) => {
      ws.on('message', (data) => {
        const msg = decodeFromAgent(data as Buffer);
        if (msg.type === 'hello') {
          connection = ws;
          send({ type: 'welcome', nodeName: 'node-1', podCIDR: '10.244.1.0/24', timing: PROFILES.fast });
        }
      });
    });
    await new Promise((r) => server.once('listening', r));
  });
  afterEach(async () => {
    agent?.stop();
    agent = undefined;
    for (const ws of server.clients) ws.terminate();
    await new Promise((r) => server.close(r));
  });

  function send(msg: ControlPlaneMessage): void {
    connection!.send(encode(msg));
  }

  function startAgent(calls: string[], opts: { onRoutes: (r: Routes) => void | Promise<void>; routesWaitMs?: number }): void {
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/agent/v1/connect`;
    agent = new Agent({
      name: 'node-1',
      server: url,
      token: 't',
      capacity: { cpu: '1', memory: '1Gi', pods: '10' },
      labels: {},
      log: silentLogger,
      onRefused: () => undefined,
      tunnelEndpoint: () => '127.0.0.1:1234',
      onRoutes: opts.onRoutes,
      routesWaitMs: opts.routesWaitMs,
      onPodDeleting: (p) => calls.push(`deleting ${p.metadata.name}`),
      kubelet: () => recordingKubelet(calls),
      reports: new Reports(realClock),
    });
    agent.start();
  }

  it('holds the pod set until the first snapshot is applied, then replays pod messages in order', async () => {
    const calls: string[] = [];
    let applied!: () => void;
    startAgent(calls, {
      onRoutes: (r) => {
        calls.push(`routes full=${r.full}`);
        return new Promise<void>((resolve) => (applied = resolve));
      },
    });
    await eventually('the agent to say hello', () => connection !== undefined);
    send({ type: 'podSync', pods: [pod('web-1')] });
    send({ type: 'podUpsert', pod: pod('web-1', true) });
    send({ type: 'routes', full: true, services: [], nodes: [] });
    await eventually('the snapshot to arrive', () => calls.includes('routes full=true'));
    assert.deepEqual(calls, ['routes full=true'], 'no pod was touched before the routing table is in place');
    applied();
    await eventually('the held messages to be replayed', () => calls.length === 4);
    assert.deepEqual(calls, ['routes full=true', 'sync web-1', 'deleting web-1', 'upsert web-1 (deleting)']);
    // After the first snapshot, pod messages go straight through.
    send({ type: 'podUpsert', pod: pod('web-2') });
    await eventually('the next upsert', () => calls.includes('upsert web-2'));
  });

  it('starts the pods anyway when no routing table comes within the wait', async () => {
    const calls: string[] = [];
    startAgent(calls, { onRoutes: () => undefined, routesWaitMs: 300 });
    await eventually('the agent to say hello', () => connection !== undefined);
    const sent = Date.now();
    send({ type: 'podSync', pods: [pod('web-1')] });
    await eventually('the pods to start without routes', () => calls.includes('sync web-1'));
    assert.ok(Date.now() - sent >= 250, 'after the wait, not before');
  });
});
