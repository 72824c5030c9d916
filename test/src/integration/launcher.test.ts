// The launcher as a user runs it: `npm run cluster -- --nodes 2` comes up, reports every node
// Ready, reports a node that dies, and Ctrl-C (SIGINT) or SIGTERM leaves no process behind.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isNodeReady, type List, type Node, type Pod } from '@kip/shared';
import { TestApi } from '../helpers/api.js';
import { AGENT_MAIN, ROOT } from '../helpers/cluster.js';
import { processesUnder } from '../helpers/processes.js';
import { eventually, isAlive } from '../helpers/wait.js';

describe('the cluster launcher', function () {
  let dir: string;
  let launcher: ChildProcess | undefined;
  let output = '';

  beforeEach(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kip-launcher-'));
    output = '';
  });

  afterEach(async function () {
    if (launcher && launcher.exitCode === null && launcher.signalCode === null) {
      launcher.kill('SIGKILL');
      await new Promise((r) => launcher!.once('exit', r));
    }
    // A killed launcher's processes stop gracefully; give them the time that takes.
    await eventually('the cluster processes to exit', () => processesUnder(dir).length === 0, { timeoutMs: 20_000 }).catch(() => {});
    const left = processesUnder(dir);
    for (const p of left) process.kill(p.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(left, [], 'no process of the cluster is left');
  });

  function start(args: string[]): ChildProcess {
    launcher = spawn(process.execPath, [path.join(ROOT, 'scripts/dist/cluster/main.js'), '--port', '0', '--data-dir', dir, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launcher.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    launcher.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    return launcher;
  }

  async function apiUrl(): Promise<string> {
    return eventually('the launcher to report the cluster up', () => /kip cluster is up[\s\S]*API:\s+(https?:\/\/[\d.:]+)/.exec(output)?.[1], {
      timeoutMs: 30_000,
    });
  }

  it('brings up 2 nodes, runs a pod, and stops everything on SIGINT', async function () {
    const child = start(['--nodes', '2']);
    const api = TestApi.fromKubeconfig(path.join(dir, 'kubeconfig'), await apiUrl());
    assert.match(output, /2 node\(s\) Ready/);
    const nodes = await api.list<Node>('nodes');
    assert.equal(nodes.filter(isNodeReady).length, 2);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'pause' }] } };
    const res = await api.request('POST', '/api/v1/namespaces/default/pods', pod);
    assert.equal(res.status, 201);
    await eventually('the pod to run', async () => (await api.get<Pod>('pods', 'p'))?.status?.phase === 'Running');
    assert.ok(processesUnder(dir).length >= 4, 'control plane, 2 agents and a pod are running');
    child.kill('SIGINT');
    const code = await new Promise((r) => child.once('exit', (c) => r(c)));
    assert.equal(code, 0);
    await eventually('every process to be gone', () => processesUnder(dir).length === 0, { timeoutMs: 5000 });
  });

  it('reports a node whose agent dies and, with --restart-nodes, brings it back', async function () {
    start(['--nodes', '1', '--restart-nodes', '--restart-delay', '200ms']);
    const api = TestApi.fromKubeconfig(path.join(dir, 'kubeconfig'), await apiUrl());
    const node = (await api.get<Node>('nodes', 'node-1'))!;
    const pid = node.status!.nodeInfo!.agentPid;
    process.kill(pid, 'SIGKILL');
    await eventually('the launcher to report the death', () => /node node-1 \(agent pid \d+\) killed by SIGKILL/.test(output));
    await eventually('node-1 back with a new agent', async () => {
      const n = (await api.get<Node>('nodes', 'node-1'))!;
      return isNodeReady(n) && n.status!.nodeInfo!.agentPid !== pid && isAlive(n.status!.nodeInfo!.agentPid);
    });
    launcher!.kill('SIGTERM');
    await new Promise((r) => launcher!.once('exit', r));
    await eventually('every process to be gone', () => processesUnder(dir).length === 0, { timeoutMs: 5000 });
  });

  it('takes its processes down with it even when it is SIGKILLed', async function () {
    const child = start(['--nodes', '1']);
    await apiUrl();
    child.kill('SIGKILL');
    await eventually('the control plane and agent to follow it', () => processesUnder(dir).length === 0, { timeoutMs: 15_000 });
  });

  it('restarts a control plane killed with SIGKILL from its SQLite store, and the pods keep running', async function () {
    start(['--nodes', '2', '--store', 'sqlite']);
    const url = await apiUrl();
    const api = TestApi.fromKubeconfig(path.join(dir, 'kubeconfig'), url);
    const get = async <T>(p: string): Promise<T> => (await api.request<T>('GET', p)).body;
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'keep' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'keep' } },
        template: { metadata: { labels: { app: 'keep' } }, spec: { containers: [{ name: 'c', image: 'pause' }] } },
      },
    };
    const res = await api.request('POST', '/apis/apps/v1/namespaces/default/replicasets', rs);
    assert.equal(res.status, 201);
    const running = async () => (await get<List<Pod>>('/api/v1/namespaces/default/pods')).items.filter((p) => p.status?.phase === 'Running');
    await eventually('both pods to run', async () => (await running()).length === 2);
    const before = (await running()).map((p) => p.metadata.uid).sort();
    const podProcesses = () =>
      processesUnder(dir)
        .filter((p) => /kip-container/.test(p.cmdline))
        .map((p) => p.pid)
        .sort();
    const pidsBefore = podProcesses();
    assert.ok(pidsBefore.length >= 2, `the pods' processes: ${pidsBefore.join(', ')}`);

    const cp = JSON.parse(readFileSync(path.join(dir, 'controlplane.json'), 'utf8')) as { pid: number };
    process.kill(cp.pid, 'SIGKILL');
    await eventually('the launcher to restart the control plane', () => /control plane restarted \(pid \d+\)/.test(output), { timeoutMs: 30_000 });
    await eventually('both nodes Ready again', async () => (await get<List<Node>>('/api/v1/nodes')).items.filter(isNodeReady).length === 2, {
      timeoutMs: 30_000,
    });
    const after = await get<List<Pod>>('/api/v1/namespaces/default/pods');
    assert.deepEqual(after.items.map((p) => p.metadata.uid).sort(), before, 'the same pods, none replaced or added');
    for (const p of after.items) assert.equal(p.status?.containerStatuses?.[0]?.restartCount, 0, `${p.metadata.name} was not restarted`);
    assert.deepEqual(podProcesses(), pidsBefore, 'the same processes run the pods');
    assert.match(output, /restarting it from .* pods keep running/);
  });

  it('brings the same cluster back when started again on its data dir, and an empty one with --fresh', async function () {
    const ask = async <T>(url: string, p: string): Promise<T> => (await TestApi.fromKubeconfig(path.join(dir, 'kubeconfig'), url).request<T>('GET', p)).body;
    const stopLauncher = async () => {
      launcher!.kill('SIGINT');
      await new Promise((r) => launcher!.once('exit', r));
      await eventually('every process to be gone', () => processesUnder(dir).length === 0, { timeoutMs: 20_000 });
    };
    start(['--nodes', '2']);
    let url = await apiUrl();
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'back' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'back' } },
        template: { metadata: { labels: { app: 'back' } }, spec: { containers: [{ name: 'c', image: 'pause' }] } },
      },
    };
    assert.equal(
      (await TestApi.fromKubeconfig(path.join(dir, 'kubeconfig'), url).request('POST', '/apis/apps/v1/namespaces/default/replicasets', rs)).status,
      201,
    );
    const running = async (u: string) => (await ask<List<Pod>>(u, '/api/v1/namespaces/default/pods')).items.filter((p) => p.status?.phase === 'Running');
    await eventually('both pods to run', async () => (await running(url)).length === 2);
    const before = (await running(url)).map((p) => `${p.metadata.uid} ${p.status?.podIP} ${p.spec.nodeName}`).sort();
    await stopLauncher();

    output = '';
    start(['--nodes', '2']);
    url = await apiUrl();
    assert.match(output, /bringing back the cluster stored in/);
    await eventually(
      'the same pods running again',
      async () =>
        (await running(url))
          .map((p) => `${p.metadata.uid} ${p.status?.podIP} ${p.spec.nodeName}`)
          .sort()
          .join() === before.join(),
      {
        timeoutMs: 30_000,
      },
    );
    assert.equal((await ask<List<Pod>>(url, '/api/v1/namespaces/default/pods')).items.length, 2, 'no pod replaced or added');
    await stopLauncher();

    output = '';
    start(['--nodes', '1', '--fresh']);
    url = await apiUrl();
    assert.deepEqual((await ask<List<Pod>>(url, '/api/v1/namespaces/default/pods')).items, []);
    assert.deepEqual(
      (await ask<List<Node>>(url, '/api/v1/nodes')).items.map((n) => n.metadata.name),
      ['node-1'],
    );
  });

  it('with --tls serves HTTPS from its own CA: agents join over wss:// pinning it, the kubeconfig carries it', async function () {
    start(['--nodes', '2', '--tls', '--store', 'memory']);
    const url = await apiUrl();
    assert.match(url, /^https:\/\//);
    const api = TestApi.fromKubeconfig(path.join(dir, 'kubeconfig'));
    const nodes = await api.list<Node>('nodes');
    assert.equal(nodes.filter(isNodeReady).length, 2, 'both agents joined over wss://');
    const info = JSON.parse(readFileSync(path.join(dir, 'controlplane.json'), 'utf8')) as { caCertHash: string; agentUrl: string };
    assert.match(info.caCertHash, /^sha256:[0-9a-f]{64}$/);

    // An agent given another cluster's pin refuses to join, and says why.
    const wrongPin = `sha256:${'0'.repeat(64)}`;
    const r = spawnSync(
      process.execPath,
      [
        AGENT_MAIN,
        '--name',
        'stranger',
        '--server',
        info.agentUrl,
        '--token-file',
        path.join(dir, 'token'),
        '--data-dir',
        path.join(dir, 'stranger'),
        '--discovery-token-ca-cert-hash',
        wrongPin,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /no certificate served by .* matches the CA hash/);
    assert.equal((await api.list<Node>('nodes')).length, 2, 'the stranger never joined');
  });

  it('npm run chaos -- kill-control-plane --restart-after 2s: the launcher restarts it then, and the pods run on', async function () {
    start(['--nodes', '1', '--store', 'sqlite']);
    const url = await apiUrl();
    const api = TestApi.fromKubeconfig(path.join(dir, 'kubeconfig'), url);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'pause' }] } };
    assert.equal((await api.request('POST', '/api/v1/namespaces/default/pods', pod)).status, 201);
    await eventually('the pod to run', async () => (await api.get<Pod>('pods', 'p'))?.status?.phase === 'Running');
    const uid = (await api.get<Pod>('pods', 'p'))!.metadata.uid;
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/dist/chaos/main.js'), 'kill-control-plane', '--restart-after', '2s', '--data-dir', dir], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /^killed the control plane \(pid \d+\) of https?:\/\/127\.0\.0\.1:\d+\nthe launcher restarts it from .* in 2s; pods keep running meanwhile/,
    );
    await eventually('the launcher to say it restarts it as asked', () => /restarting it from .* in 2s, as kill-control-plane asked/.test(output));
    await eventually('the control plane back', () => /control plane restarted/.test(output), { timeoutMs: 30_000 });
    const after = await eventually('the pod, still Running', async () => {
      const p = await api.get<Pod>('pods', 'p').catch(() => undefined);
      return p?.status?.phase === 'Running' ? p : undefined;
    });
    assert.equal(after.metadata.uid, uid);
    assert.equal(after.status?.containerStatuses?.[0]?.restartCount, 0);
  });
});
