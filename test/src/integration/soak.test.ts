// `npm run soak` end to end, as a user runs it: the real process, a short soak on a private
// cluster of its own (4 nodes, a kill every 4 s for 20 s), and a Ctrl-C in the middle of another.
// The report must say that kip healed (every property held, recounted here where it can be),
// and nothing the soak started may be left once it has exited.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/cluster.js';
import { processesUnder } from '../helpers/processes.js';
import { eventually, isAlive } from '../helpers/wait.js';

const MAIN = path.join(ROOT, 'scripts/dist/soak/main.js');

interface Run {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function runSoak(args: string[], env: Record<string, string>): Run {
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
    throw new Error(`the soak did not finish within ${timeoutMs / 1000}s:\n${run.out()}`);
  }
  return result;
}

/** Nothing of the private cluster is left: no process, no data dir. */
async function assertNothingLeft(scratch: string, run: Run): Promise<void> {
  assert.equal(isAlive(run.child.pid!), false);
  await eventually('no process of the private cluster', () => processesUnder(scratch).length === 0, { timeoutMs: 5000 });
  assert.deepEqual(
    (await readdir(scratch)).filter((n) => n.startsWith('kip-soak-')),
    [],
  );
}

describe('npm run soak', function () {
  this.timeout(120_000);
  let dir = '';

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kip-soak-it-'));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a bad flag in one line naming it, before starting anything', async () => {
    const run = runSoak(['--nodes', '4', '--interval', 'often'], {});
    assert.equal(await finished(run, 10_000), 2);
    assert.match(run.out(), /^soak: --interval: "often" is not a duration[^\n]*\n$/);
  });

  it('kills a node every 4 s for 20 s, and the cluster heals: every property holds, nothing is left', async () => {
    // The private cluster's data dir goes under this TMPDIR, so its processes can be found.
    const scratch = await mkdtemp(path.join(dir, 'tmp-'));
    const out = path.join(dir, 'out');
    const run = runSoak(['--nodes', '4', '--duration', '20s', '--interval', '4s', '--seed', '11', '--out', out, '--quiet'], { TMPDIR: scratch });
    const code = await finished(run, 100_000);
    const report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8'));
    assert.equal(code, 0, run.out());
    assert.equal(report.kind, 'SoakReport');
    assert.equal(report.passed, true);
    for (const p of report.properties as { name: string; held: boolean | null }[]) assert.equal(p.held, true, `${p.name}: ${JSON.stringify(p)}`);

    // The probe: about 10 requests a second for 20 s, counted again from the raw samples.
    const samples = (await readFile(path.join(out, 'samples.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { t: number; ok: boolean });
    const measured = samples.filter((s) => s.t >= 0 && s.t < 20_000);
    assert.ok(measured.length >= 150, `about 200 requests, got ${measured.length}`);
    assert.equal(report.requests.total, measured.length);
    assert.equal(report.availability, measured.filter((s) => s.ok).length / measured.length);
    assert.ok(report.availability >= 0.99);

    // The kills: one run every 4 s (5 in 20 s), each recorded, never the probe's node.
    const injected = report.kills.records.filter((k: { result: string }) => k.result === 'Injected');
    assert.ok(report.nodesKilled >= 1 && report.nodesKilled <= 5, `killed ${report.nodesKilled}`);
    assert.equal(injected.length + report.kills.skipped + report.kills.failed, 5, JSON.stringify(report.kills));
    assert.ok(injected.every((k: { nodes: string[] }) => !k.nodes.includes(report.settings.probeNode)));
    assert.equal(report.chaosEvents.ChaosInjected, injected.length);
    assert.equal(report.agentExits, report.nodesKilled, 'every kill took an agent down');
    assert.ok(report.podsCreated.total >= 4, 'the 3 replicas and the probe, at least');

    assert.equal(report.orphans.count, 0);
    assert.ok(report.orphans.processesChecked >= 4, `the check saw the pods' processes: ${report.orphans.processesChecked}`);
    assert.equal(report.objectsLost.count, 0);
    assert.ok(report.controlPlaneRss.startMiB > 0 && report.controlPlaneRss.endMiB > 0);
    assert.equal(report.leftoverProcesses, 0);
    assert.match(run.out(), /Soak PASSED/);

    await assertNothingLeft(scratch, run);
  });

  it('stops at Ctrl-C, reports what ran with exit code 130, and stops every process it started', async () => {
    const scratch = await mkdtemp(path.join(dir, 'tmp-'));
    const out = path.join(dir, 'out-int');
    const run = runSoak(['--nodes', '2', '--duration', '1m', '--interval', '2s', '--out', out], { TMPDIR: scratch });
    await eventually('the chaos to start', () => /NodeChaos soak-kill/.test(run.out()), { timeoutMs: 60_000 });
    await eventually('a kill', () => /chaos killed node-2/.test(run.out()), { timeoutMs: 10_000 });
    // Only the soak gets the signal (a terminal would send it to the cluster too): it must stop
    // the processes it started itself.
    run.child.kill('SIGINT');
    assert.equal(await finished(run, 60_000), 130, run.out());
    const report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8'));
    assert.equal(report.interrupted, true);
    assert.ok(report.durationSeconds > 0 && report.durationSeconds < 60, `ran ${report.durationSeconds}s`);
    assert.ok(report.requests.total > 0);
    assert.ok(report.nodesKilled >= 1);
    assert.match(run.out(), /Soak INTERRUPTED/);
    await assertNothingLeft(scratch, run);
  });
});
