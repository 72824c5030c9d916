// A ControlPlaneChaos applied to a cluster the launcher runs on SQLite: the control plane kills
// itself, the launcher starts it again after restartAfter from its store, the restarted one
// records the fault healed with the downtime, and the pods ran on untouched meanwhile.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHAOS_API_VERSION, type ControlPlaneChaos, type Event, type KObject, type Pod } from '@kip/shared';
import { TestApi } from '../helpers/api.js';
import { ROOT } from '../helpers/cluster.js';
import { processesUnder } from '../helpers/processes.js';
import { eventually } from '../helpers/wait.js';

const CHAOS_PATH = `/apis/${CHAOS_API_VERSION}/namespaces/default/controlplanechaos`;

describe('ControlPlaneChaos on a launcher cluster', function () {
  this.timeout(240_000);
  let dir: string;
  let launcher: ChildProcess | undefined;
  let output = '';

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kip-cpchaos-'));
    output = '';
  });

  afterEach(async () => {
    if (launcher && launcher.exitCode === null && launcher.signalCode === null) {
      launcher.kill('SIGINT');
      await eventually('the launcher to stop', () => launcher!.exitCode !== null || launcher!.signalCode !== null, { timeoutMs: 30_000 }).catch(() => {
        launcher!.kill('SIGKILL');
      });
    }
    await eventually('the cluster processes to exit', () => processesUnder(dir).length === 0, { timeoutMs: 20_000 }).catch(() => {});
    const left = processesUnder(dir);
    for (const p of left) process.kill(p.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(left, [], 'no process of the cluster is left');
  });

  const controlPlanePid = () => (JSON.parse(readFileSync(path.join(dir, 'controlplane.json'), 'utf8')) as { pid: number }).pid;

  it('kills the control plane, which comes back after restartAfter and records the downtime; pods keep running', async () => {
    launcher = spawn(
      process.execPath,
      [path.join(ROOT, 'scripts/dist/cluster/main.js'), '--port', '0', '--data-dir', dir, '--nodes', '1', '--store', 'sqlite'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    launcher.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    launcher.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const url = await eventually('the launcher to report the cluster up', () => /kip cluster is up[\s\S]*API:\s+(https?:\/\/[\d.:]+)/.exec(output)?.[1], {
      timeoutMs: 60_000,
    });
    const api = TestApi.fromKubeconfig(path.join(dir, 'kubeconfig'), url);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'pause' }] } },
      },
    } as KObject;
    assert.equal((await api.request('POST', '/apis/apps/v1/namespaces/default/deployments', deployment)).status, 201);
    const running = async () => (await api.list<Pod>('pods', { labelSelector: 'app=web' })).filter((p) => p.status?.phase === 'Running');
    await eventually('the web pods to run', async () => (await running()).length === 2, { timeoutMs: 60_000 });
    const podsBefore = (await running()).map((p) => p.metadata.uid).sort();
    const podProcesses = () =>
      processesUnder(dir)
        .filter((p) => /kip-container/.test(p.cmdline))
        .map((p) => p.pid)
        .sort();
    const pidsBefore = podProcesses();
    assert.ok(pidsBefore.length >= 2, `the pods' processes: ${pidsBefore.join(',')}`);
    const pidBefore = controlPlanePid();

    const chaos = { apiVersion: CHAOS_API_VERSION, kind: 'ControlPlaneChaos', metadata: { name: 'down' }, spec: { action: 'kill', restartAfter: '2s' } };
    assert.equal((await api.request('POST', CHAOS_PATH, chaos)).status, 201);
    await eventually(
      'the launcher to restart it as the fault asked',
      () => /restarting it from .* in 2s, as ControlPlaneChaos default\/down asked/.test(output),
      {
        timeoutMs: 30_000,
      },
    );
    await eventually('the control plane back', () => /control plane restarted/.test(output), { timeoutMs: 60_000 });
    assert.notEqual(controlPlanePid(), pidBefore, 'a new control plane process');

    const healed = await eventually(
      'the fault healed',
      async () => {
        const c = (await api.request<ControlPlaneChaos>('GET', `${CHAOS_PATH}/down`).catch(() => undefined))?.body;
        return c?.status?.phase === 'Recovered' ? c : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.ok((healed.status?.downtimeMs ?? 0) >= 2000, `downtime ${healed.status?.downtimeMs} ms`);
    assert.deepEqual(
      healed.status?.records?.map((r) => r.result),
      ['Injected', 'Recovered'],
    );
    const events = (await api.list<Event>('events')).filter((e) => e.involvedObject.name === 'down').map((e) => e.reason);
    assert.ok(events.includes('ChaosInjected') && events.includes('ChaosRecovered'), events.join(','));

    const after = await eventually('the same web pods, Running', async () => {
      const pods = await running().catch(() => []);
      return pods.length === 2 ? pods : undefined;
    });
    assert.deepEqual(after.map((p) => p.metadata.uid).sort(), podsBefore);
    for (const p of after) assert.equal(p.status?.containerStatuses?.[0]?.restartCount, 0, `${p.metadata.name} restarted`);
    assert.deepEqual(podProcesses(), pidsBefore, 'the pods kept their processes');
    process.stdout.write(`      downtime ${healed.status?.downtimeMs} ms (restartAfter 2s)\n`);
  });
});
