// `npm run experiment` end to end, as a user runs it: the real runner process, on a private
// cluster of its own (--nodes 3) where a node is killed under a 3-replica service, and against a
// running cluster where it is interrupted with Ctrl-C. The report must say what the probe saw
// (recounted here from the raw samples), and nothing the run started or created may be left.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Pod } from '@kip/shared';
import { ROOT, TestCluster } from '../helpers/cluster.js';
import { processesUnder } from '../helpers/processes.js';
import { eventually, isAlive } from '../helpers/wait.js';

const MAIN = path.join(ROOT, 'scripts/dist/experiment/main.js');

const WORKLOAD = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: http-echo
        ports: [{name: http, containerPort: 8080}]
        resources: {requests: {cpu: 100m, memory: 32Mi}}
        readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`;

interface Run {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function runExperiment(args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => text, exited };
}

/** Waits for the run to end; a run that does not is killed and fails the test. */
async function finished(run: Run, timeoutMs: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const result = await Promise.race([run.exited, timeout]);
  clearTimeout(timer);
  if (result === 'timeout') {
    run.child.kill('SIGKILL');
    await run.exited;
    throw new Error(`the experiment did not finish within ${timeoutMs / 1000}s:\n${run.out()}`);
  }
  return result;
}

interface RawSample {
  seq: number;
  t: number;
  latencyMs: number;
  ok: boolean;
}

/** The figures, counted again from samples.jsonl, independently of the runner's code. */
function recount(samples: RawSample[], durationMs: number): { total: number; ok: number; longestMs: number } {
  const measured = samples.filter((s) => s.t >= 0 && s.t < durationMs).sort((a, b) => a.t - b.t || a.seq - b.seq);
  let longestMs = 0;
  let runStart: number | undefined;
  for (const s of measured) {
    if (!s.ok) runStart ??= s.t;
    else if (runStart !== undefined) {
      longestMs = Math.max(longestMs, s.t - runStart);
      runStart = undefined;
    }
  }
  if (runStart !== undefined) longestMs = Math.max(longestMs, durationMs - runStart);
  return { total: measured.length, ok: measured.filter((s) => s.ok).length, longestMs };
}

function assertSelfContained(html: string): void {
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<svg class="chart" id="latency-chart"/);
  assert.match(html, /<svg class="chart" id="success-chart"/);
  assert.doesNotMatch(html, /https?:\/\//);
  assert.doesNotMatch(html, /\bsrc\s*=|<link\b|@import|url\(/i);
}

describe('npm run experiment', function () {
  this.timeout(150_000);
  let dir = '';

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kip-experiment-it-'));
    await writeFile(path.join(dir, 'web.yaml'), WORKLOAD);
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a bad experiment file with every problem named, before starting anything', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, 'name: bad\nduration: soon\nworkload: [web.yaml]\nprobe: {url: "http://web/", rate: 0}\ntimeline:\n- at: 1s\n  heal: ghost\n');
    const run = runExperiment([file, '--nodes', '1'], {});
    assert.equal(await finished(run, 20_000), 2);
    assert.match(run.out(), /duration: Invalid value: "soon"/);
    assert.match(run.out(), /probe\.rate: Invalid value: 0/);
    assert.match(run.out(), /timeline\[0\]\.heal: Invalid value: "ghost"/);
    assert.doesNotMatch(run.out(), /private cluster/);
  });

  it('kills a node under a 3-replica service on a private cluster and reports what the probe saw', async () => {
    const file = path.join(dir, 'kill.yaml');
    await writeFile(
      file,
      `name: kill-one
duration: 12s
warmup: 1s
sustain: 2s
workload: [web.yaml]
probe: {url: "http://web/", rate: 10, timeout: 1s, nodeName: node-1}
timeline:
- at: 3s
  fault: {name: kill-node-3, kind: NodeChaos, spec: {action: kill, selector: {nodes: [node-3]}}}
`,
    );
    // The private cluster's data dir goes under this TMPDIR, so its processes can be found.
    const scratch = await mkdtemp(path.join(dir, 'tmp-'));
    const out = path.join(dir, 'out-kill');
    const run = runExperiment([file, '--nodes', '3', '--out', out, '--quiet'], { TMPDIR: scratch });
    const code = await finished(run, 120_000);
    assert.equal(code, 0, run.out());
    assert.equal(isAlive(run.child.pid!), false);

    const report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8'));
    const samples = (await readFile(path.join(out, 'samples.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RawSample);
    const again = recount(samples, 12_000);
    assert.ok(again.total >= 100, `about 10 requests a second for 12s, got ${again.total}`);
    assert.equal(report.requests.total, again.total);
    assert.equal(report.requests.ok, again.ok);
    assert.equal(report.availability, again.ok / again.total);
    assert.ok(report.availability >= 0 && report.availability <= 1);
    assert.equal(report.longestOutageSeconds, Math.round(again.longestMs) / 1000);
    assert.equal(
      report.phases.reduce((n: number, p: { requests: number }) => n + p.requests, 0),
      again.total,
      'the phases cover every request once',
    );
    assert.deepEqual(
      report.phases.map((p: { name: string }) => p.name),
      ['before', 'during kill-node-3'],
    );
    assert.equal(report.faults.length, 1);
    assert.equal(report.faults[0].name, 'kill-node-3');
    assert.ok(Math.abs(report.faults[0].injectedAtSeconds - 3) < 0.5, `injected at ${report.faults[0].injectedAtSeconds}s`);
    // The kill happened: the node's agent died and the control plane saw the node go.
    assert.ok(
      report.events.some((e: { object: string; reason: string }) => e.object === 'Node/node-3' && /Ready=(Unknown|False)|NodeNotReady/.test(e.reason)),
      `node-3 went NotReady: ${JSON.stringify(report.events.map((e: { object: string; reason: string }) => `${e.object} ${e.reason}`))}`,
    );
    assert.ok(report.faultStatus['kill-node-3']?.records?.some((r: { result: string }) => r.result === 'Injected'));

    assertSelfContained(await readFile(path.join(out, 'report.html'), 'utf8'));

    // Nothing of the private cluster is left: no process, no data dir.
    await eventually('no process of the private cluster', () => processesUnder(scratch).length === 0, { timeoutMs: 5000 });
    assert.deepEqual(
      (await readdir(scratch)).filter((n) => n.startsWith('kip-experiment-')),
      [],
    );
  });

  it('survives a ControlPlaneChaos on a private cluster: the control plane comes back, the service kept serving', async () => {
    const file = path.join(dir, 'cp.yaml');
    await writeFile(
      file,
      `name: cp-down
duration: 12s
warmup: 1s
sustain: 2s
workload: [web.yaml]
probe: {url: "http://web/", rate: 10, timeout: 1s}
timeline:
- at: 2s
  fault: {name: cp-down, kind: ControlPlaneChaos, spec: {action: kill, restartAfter: 2s}}
`,
    );
    const scratch = await mkdtemp(path.join(dir, 'tmp-'));
    const out = path.join(dir, 'out-cp');
    const run = runExperiment([file, '--nodes', '2', '--out', out], { TMPDIR: scratch });
    const code = await finished(run, 120_000);
    assert.equal(code, 0, run.out());
    assert.match(run.out(), /restarting it in 2s, as ControlPlaneChaos [\w-]+\/cp-down asked/);
    assert.match(run.out(), /control plane restarted/);
    const report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8'));
    const status = report.faultStatus['cp-down'];
    assert.equal(status?.phase, 'Recovered', JSON.stringify(status));
    assert.ok(status.downtimeMs >= 2000, `downtime ${status.downtimeMs} ms`);
    // The pods and the service proxies do not need the control plane to serve.
    assert.ok(report.requests.total >= 80, `about 10 requests a second for 12s, got ${report.requests.total}`);
    assert.ok(report.availability >= 0.9, `availability ${report.availability} while the control plane was down ${status.downtimeMs} ms`);
    process.stdout.write(`      downtime ${status.downtimeMs} ms; availability ${report.availability} over ${report.requests.total} requests\n`);
    await eventually('no process of the private cluster', () => processesUnder(scratch).length === 0, { timeoutMs: 5000 });
  });

  describe('against a running cluster', () => {
    let cluster: TestCluster;

    before(async () => {
      cluster = await TestCluster.start({ nodes: 2 });
    });

    after(async () => {
      await cluster?.stop();
    });

    it('stops at Ctrl-C, reports the part that ran, and removes all it created', async () => {
      const file = path.join(dir, 'slow.yaml');
      await writeFile(
        file,
        `name: slow
duration: 60s
warmup: 500ms
workload: [web.yaml]
probe: {url: "http://web/", rate: 10, timeout: 1s}
timeline:
- at: 1s
  fault:
    name: slow-link
    kind: NetworkChaos
    spec: {action: delay, selector: {nodes: [node-1]}, target: {selector: {nodes: [node-2]}}, delay: {latency: 50ms}}
`,
      );
      const out = path.join(dir, 'out-slow');
      const run = runExperiment([file, '--kubeconfig', cluster.kubeconfig, '--out', out], {});
      await eventually('the fault to be injected', () => /inject NetworkChaos slow-link/.test(run.out()), { timeoutMs: 60_000 });
      await eventually('a live line after the fault', () => /\[\+[2-9]\.\ds\] during slow-link/.test(run.out()), { timeoutMs: 15_000 });
      run.child.kill('SIGINT');
      assert.equal(await finished(run, 60_000), 130, run.out());

      const report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8'));
      assert.equal(report.interrupted, true);
      assert.ok(report.durationSeconds > 1 && report.durationSeconds < 60, `measured ${report.durationSeconds}s`);
      assert.ok(report.requests.total > 0);
      assertSelfContained(await readFile(path.join(out, 'report.html'), 'utf8'));

      // The workload, the probe pod and the fault are gone; the nodes are untouched.
      assert.equal(await cluster.api.get('deployments', 'web'), undefined);
      assert.equal(await cluster.api.get('services', 'web'), undefined);
      assert.deepEqual(await cluster.api.list('networkchaos', { namespace: 'default' }), []);
      await eventually('every pod of the run to be gone', async () => (await cluster.api.list<Pod>('pods', { namespace: 'default' })).length === 0, {
        timeoutMs: 30_000,
      });
      assert.equal((await cluster.waitReady(2)).length, 2);
    });
  });
});
