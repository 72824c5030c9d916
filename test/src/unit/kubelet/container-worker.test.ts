// The container worker, the shell around the lifecycle step, driven on a fake clock with stand-in
// processes: what it spawns and signals, which timers it sets and what it reports, through start,
// crash, back-off, probe failure, OOM, graceful stop, stop in back-off and a pod removed at once.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeClock, PROFILES, silentLogger } from '@kip/shared';
import type { Container, Pod, Timing } from '@kip/shared';
import { ContainerWorker } from '@kip/agent';
import type { PodContext } from '@kip/agent';
import type { ProbeResult } from '@kip/agent';
import { GroupRegistry } from '@kip/agent';
import { FakeProcess, settle } from './fake-process.js';

const TIMING: Timing = { ...PROFILES.fast, crashLoopBackOffInitialMs: 1000, crashLoopBackOffMaxMs: 4000, crashLoopBackOffResetMs: 60_000 };

class Rig {
  readonly clock = new FakeClock();
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kip-worker-'));
  readonly procs: FakeProcess[] = [];
  readonly events: string[] = [];
  readonly probeResults: ProbeResult[] = [];
  ignoresTerm = false;
  reports = 0;
  /** CPU limits asked for ("pid:millis"), and released ("-pid"). */
  readonly cpuLimits: string[] = [];
  readonly worker: ContainerWorker;
  readonly pod: Pod;

  constructor(container: Partial<Container> = {}, podSpec: Partial<Pod['spec']> = {}) {
    const spec: Container = { name: 'app', command: ['sh', '-c', 'sleep 1000'], ...container };
    this.pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default', uid: 'u1' },
      spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 5, ...podSpec, containers: [spec] },
    };
    const rig = this;
    const ctx: PodContext = {
      get pod() {
        return rig.pod;
      },
      podKey: 'default/web',
      podDir: this.dir,
      podIP: '10.244.1.2',
      hostPorts: {},
      clock: this.clock,
      log: silentLogger,
      groups: new GroupRegistry(),
      sandbox: { available: false, reason: 'containers are fakes' },
      mounts: () => [],
      timing: () => TIMING,
      env: () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin' }),
      event: (_type, reason, message) => this.events.push(`${reason}: ${message}`),
      changed: () => this.reports++,
      spawn: () => {
        const p = new FakeProcess(1000 + this.procs.length, this.ignoresTerm);
        this.procs.push(p);
        return p;
      },
      limitCpu: (group, millis) => {
        this.cpuLimits.push(`${group.pid}:${millis}`);
        return () => this.cpuLimits.push(`-${group.pid}`);
      },
      probe: () => Promise.resolve(this.probeResults.shift() ?? { ok: true, message: '' }),
    };
    this.worker = new ContainerWorker(ctx, spec);
  }

  get proc(): FakeProcess {
    return this.procs.at(-1)!;
  }
  get status() {
    return this.worker.status();
  }
  close(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('container worker: the shell on a fake clock', () => {
  let rig: Rig;
  afterEach(() => rig.close());

  it('starts the program and reports it running, with its container ID', () => {
    rig = new Rig();
    rig.worker.start();
    assert.equal(rig.procs.length, 1);
    assert.equal(rig.worker.phase, 'Running');
    assert.equal(rig.worker.pid, 1000);
    assert.equal(rig.status.containerID, 'kip://1000');
    assert.ok(rig.status.state.running);
    assert.deepEqual(rig.events, ['Created: Created container app', 'Started: Started container app']);
    assert.ok(rig.reports > 0);
  });

  it('a CPU limit throttles each run, and each run is let go when it exits', async () => {
    rig = new Rig({ resources: { limits: { cpu: '200m' } } });
    rig.worker.start();
    assert.deepEqual(rig.cpuLimits, ['1000:200']);
    rig.proc.exit(1);
    await settle();
    assert.deepEqual(rig.cpuLimits, ['1000:200', '-1000', '1001:200'], 'released before the restart, and the new run limited');
  });

  it('no CPU limit: nothing is throttled', async () => {
    rig = new Rig({ resources: { limits: { memory: '64Mi' } } });
    rig.worker.start();
    rig.proc.exit(1);
    await settle();
    assert.deepEqual(rig.cpuLimits, []);
  });

  it('crash: restarts at once once the old group is released, then backs off on the clock', async () => {
    rig = new Rig();
    rig.worker.start();
    rig.proc.exit(1);
    await settle();
    assert.ok(rig.procs[0]!.released);
    assert.equal(rig.procs.length, 2, 'the first restart is immediate');
    assert.equal(rig.status.restartCount, 1);
    rig.proc.exit(1);
    await settle();
    assert.equal(rig.procs.length, 2);
    assert.equal(rig.worker.phase, 'BackOff');
    assert.equal(rig.status.state.waiting?.reason, 'CrashLoopBackOff');
    assert.equal(rig.worker.pid, undefined);
    rig.clock.advance(999);
    assert.equal(rig.procs.length, 2);
    rig.clock.advance(1);
    assert.equal(rig.procs.length, 3, 'started again when the back-off is over');
    assert.deepEqual([rig.worker.phase, rig.status.restartCount, rig.status.lastState.terminated?.reason], ['Running', 2, 'Error']);
  });

  it('restartPolicy Never: an exit is final and the clock starts nothing', async () => {
    rig = new Rig({}, { restartPolicy: 'Never' });
    rig.worker.start();
    rig.proc.exit(0);
    await settle();
    assert.equal(rig.worker.phase, 'Terminated');
    assert.equal(rig.status.state.terminated?.reason, 'Completed');
    rig.clock.advance(60_000);
    assert.equal(rig.procs.length, 1);
    assert.equal(rig.clock.pendingTimers(), 0);
  });

  it('liveness failure: Unhealthy, Killing, SIGTERM, and a new run', async () => {
    rig = new Rig({ livenessProbe: { exec: { command: ['true'] }, periodSeconds: 1, failureThreshold: 2 } });
    rig.probeResults.push({ ok: false, message: 'boom' }, { ok: false, message: 'boom' });
    rig.worker.start();
    rig.clock.advance(0);
    await settle();
    assert.equal(rig.worker.phase, 'Running', 'one failure is under the threshold');
    rig.clock.advance(1000);
    await settle();
    assert.deepEqual(rig.procs[0]!.signals, ['SIGTERM']);
    await settle();
    assert.equal(rig.procs.length, 2);
    assert.deepEqual(
      rig.events.filter((e) => /Unhealthy|Killing/.test(e)),
      ['Unhealthy: Liveness probe failed: boom', 'Unhealthy: Liveness probe failed: boom', 'Killing: Container app failed liveness probe, will be restarted'],
    );
  });

  it('OOM: SIGKILL at once, and the run ends OOMKilled with 137', async () => {
    rig = new Rig({ resources: { limits: { memory: '1Mi' } } });
    rig.worker.start();
    rig.worker.usage = { cpu: 1, memory: 2 * 1024 * 1024 };
    rig.worker.oomKill(2 * 1024 * 1024);
    assert.deepEqual(rig.procs[0]!.signals, ['SIGKILL']);
    await settle();
    assert.deepEqual(rig.worker.usage, { cpu: 0, memory: 0 });
    assert.deepEqual([rig.status.lastState.terminated?.reason, rig.status.lastState.terminated?.exitCode], ['OOMKilled', 137]);
  });

  it('graceful stop: SIGTERM, SIGKILL when the grace period is over on the clock, resolved once the group is gone', async () => {
    rig = new Rig();
    rig.ignoresTerm = true;
    rig.worker.start();
    let stopped = false;
    void rig.worker.stop(5000).then(() => (stopped = true));
    assert.deepEqual(rig.proc.signals, ['SIGTERM']);
    assert.equal(rig.worker.phase, 'Stopping');
    rig.clock.advance(4999);
    await settle();
    assert.deepEqual(rig.proc.signals, ['SIGTERM']);
    assert.equal(stopped, false);
    rig.clock.advance(1);
    assert.deepEqual(rig.proc.signals, ['SIGTERM', 'SIGKILL']);
    await settle();
    assert.equal(stopped, true);
    assert.equal(rig.worker.phase, 'Terminated');
    assert.equal(rig.status.state.terminated?.exitCode, 137);
    rig.clock.advance(60_000);
    assert.equal(rig.procs.length, 1, 'a stopped container never starts again');
  });

  it('stop during back-off: resolves at once, and the back-off timer starts nothing', async () => {
    rig = new Rig();
    rig.worker.start();
    rig.proc.exit(1);
    await settle();
    rig.proc.exit(1);
    await settle();
    assert.equal(rig.worker.phase, 'BackOff');
    await rig.worker.stop(5000);
    assert.equal(rig.worker.phase, 'Terminated');
    assert.equal(rig.status.state.terminated?.reason, 'Error');
    assert.equal(rig.clock.pendingTimers(), 0);
    rig.clock.advance(10_000);
    assert.equal(rig.procs.length, 2);
  });

  it('a pod removed from the store: SIGTERM and SIGKILL at once', async () => {
    rig = new Rig();
    rig.ignoresTerm = true;
    rig.worker.start();
    await rig.worker.killNow();
    assert.deepEqual(rig.proc.signals, ['SIGTERM', 'SIGKILL']);
    assert.equal(rig.worker.phase, 'Terminated');
  });

  it('a program that cannot be found is a StartError with an empty log, then back-off', () => {
    rig = new Rig({ command: ['no-such-program-here'] });
    rig.worker.start();
    assert.equal(rig.procs.length, 0);
    assert.equal(rig.worker.phase, 'BackOff', 'failed twice: at once, then back-off');
    assert.equal(rig.status.lastState.terminated?.reason, 'StartError');
    const target = rig.worker.logFileFor(true, 'web');
    assert.ok('file' in target && fs.readFileSync(target.file, 'utf8') === '');
  });
});
