// An agent's connection acts for its own node only, as Kubernetes' Node authorizer and
// NodeRestriction admission make the kubelet: it reports the status of pods bound to it and
// finishes their deletion, and nothing it says changes another node's pods. A join token that
// others can read is refused. Checked over a real WebSocket against a real ControlPlane.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import {
  AGENT_PATH,
  PROTOCOL_VERSION,
  decodeFromControlPlane,
  encode,
  readSecretFile,
  SecretFileError,
  silentLogger,
  type AgentMessage,
  type Pod,
} from '@kip/shared';
import { ControlPlane } from '@kip/controlplane';
import { CONTROLPLANE_MAIN } from '../../helpers/cluster.js';
import { eventually } from '../../helpers/wait.js';

function pod(name: string, nodeName: string): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName, containers: [{ name: 'c', image: 'pause' }] } };
}

describe('controlplane: an agent acts for its own node only', () => {
  let cp: ControlPlane;
  let url: string;
  let ws: WebSocket;

  before(async () => {
    cp = new ControlPlane({ joinToken: 'join', log: silentLogger, port: 0 });
    url = (await cp.start()).url;
  });
  after(async () => {
    ws?.close();
    await cp.stop();
  });

  async function join(name: string, instance?: string): Promise<WebSocket> {
    const sock = new WebSocket(url.replace(/^http/, 'ws') + AGENT_PATH);
    await new Promise((resolve, reject) => sock.once('open', resolve).once('error', reject));
    const welcomed = new Promise<void>((resolve) => sock.on('message', (d) => decodeFromControlPlane(d as Buffer).type === 'welcome' && resolve()));
    const hello: AgentMessage = {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      token: 'join',
      node: { name, capacity: { cpu: '4', memory: '8Gi' }, labels: {}, pid: process.pid, version: '0.1.0', ...(instance ? { instance } : {}) },
      pods: [],
    };
    sock.send(encode(hello));
    await welcomed;
    return sock;
  }

  it('ignores status and deletion reports for pods of another node, and applies its own', async () => {
    ws = await join('node-a');
    // node-b exists (its pods are not orphans for the pod garbage collector) but is not this agent.
    cp.store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-b' }, spec: {}, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    const mine = cp.store.create(pod('mine', 'node-a'));
    const theirs = cp.store.create(pod('theirs', 'node-b'));
    // Both terminating: a node may finish only its own pod's deletion.
    for (const p of [mine, theirs])
      cp.store.update({
        ...p,
        metadata: { ...p.metadata, deletionTimestamp: new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, 'Z'), deletionGracePeriodSeconds: 60 },
      });
    const report = (p: Pod): AgentMessage => ({
      type: 'podStatus',
      updates: [{ namespace: 'default', name: p.metadata.name, uid: p.metadata.uid!, status: { phase: 'Failed', reason: 'Forged' } }],
    });
    ws.send(encode(report(theirs)));
    ws.send(encode({ type: 'podTerminated', namespace: 'default', name: 'theirs', uid: theirs.metadata.uid! }));
    ws.send(encode(report(mine)));
    ws.send(encode({ type: 'podTerminated', namespace: 'default', name: 'mine', uid: mine.metadata.uid! }));
    await eventually('node-a finished its own pod', () => cp.store.get('Pod', 'default', 'mine') === undefined);
    const after = cp.store.get<Pod>('Pod', 'default', 'theirs');
    assert.ok(after, "node-b's pod is still there");
    assert.notEqual(after.status?.reason, 'Forged', "node-b's pod status is untouched");
  });
});

describe('controlplane: a live node cannot be taken over', () => {
  it('refuses a hello for a connected node from another agent instance, even with its pid', async () => {
    const cp = new ControlPlane({ joinToken: 'join', log: silentLogger, port: 0 });
    const url = (await cp.start()).url;
    const open: WebSocket[] = [];
    try {
      const hello = (instance: string) => {
        const sock = new WebSocket(url.replace(/^http/, 'ws') + AGENT_PATH);
        open.push(sock);
        const answer = new Promise<{ type: string; code?: string }>((resolve) => {
          sock.on('message', (d) => resolve(decodeFromControlPlane(d as Buffer) as { type: string; code?: string }));
          sock.on('close', (code, reason) => resolve({ type: 'closed', code: `${code} ${reason.toString()}` }));
        });
        sock.once('open', () =>
          sock.send(
            encode({
              type: 'hello',
              protocol: PROTOCOL_VERSION,
              token: 'join',
              node: { name: 'node-x', capacity: { cpu: '4', memory: '8Gi' }, labels: {}, pid: process.pid, instance, version: '0.1.0' },
              pods: [],
            }),
          ),
        );
        return answer;
      };
      assert.equal((await hello('real')).type, 'welcome');
      const intruder = await hello('intruder');
      assert.notEqual(intruder.type, 'welcome', 'the intruder is refused');
      assert.match(JSON.stringify(intruder), /already connected/);
      assert.equal((await hello('real')).type, 'welcome', 'the same instance may reconnect');
    } finally {
      for (const s of open) s.close();
      await cp.stop();
    }
  });
});

describe('secret files', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'kip-secret-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file only its owner can read, and refuses one others can, naming the fix', () => {
    const file = path.join(dir, 'token');
    writeFileSync(file, 'abc\n', { mode: 0o600 });
    assert.equal(readSecretFile(file), 'abc');
    chmodSync(file, 0o644);
    assert.throws(
      () => readSecretFile(file),
      (err: unknown) => err instanceof SecretFileError && err.message === `${file} is accessible by others (mode 0644); it holds a secret: chmod 600 ${file}`,
    );
  });

  it('the control plane refuses to start with a join token others can read', () => {
    writeFileSync(path.join(dir, 'token'), 'abc\n', { mode: 0o644 });
    chmodSync(path.join(dir, 'token'), 0o644);
    const r = spawnSync(process.execPath, [CONTROLPLANE_MAIN, '--port', '0', '--data-dir', dir], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /token is accessible by others \(mode 0644\); it holds a secret: chmod 600 /);
  });
});
