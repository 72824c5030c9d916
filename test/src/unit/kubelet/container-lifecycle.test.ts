// The container lifecycle's pure step, transition by transition: every case feeds events to
// `step` with the time taken from a fake clock and checks the phase, the status fields and the
// actions asked for. No process, no timer.

import assert from 'node:assert/strict';
import { FakeClock, isoTime } from '@kip/shared';
import {
  initRestartPolicy,
  initialLifecycle,
  resumedLifecycle,
  step,
  type ContainerLifecycle,
  type LifecycleAction,
  type LifecycleEnv,
  type LifecycleEvent,
} from '@kip/agent';

const POD = 'web_default(u1)';

/** The actions as short words; logs and status reports are left out unless asked for. */
function words(actions: LifecycleAction[], all = false): string[] {
  const out: string[] = [];
  for (const a of actions) {
    switch (a.type) {
      case 'signal':
        out.push(a.signal);
        break;
      case 'setTimer':
        out.push(`set ${a.timer} ${a.ms}`);
        break;
      case 'clearTimer':
        out.push(`clear ${a.timer}`);
        break;
      case 'startProbes':
        out.push(`probes ${a.kinds.join(',')}`);
        break;
      case 'runHook':
        out.push(`hook ${a.hook} ${a.timeoutMs}`);
        break;
      case 'event':
        out.push(`${a.reason}: ${a.message}`);
        break;
      case 'log':
      case 'report':
        if (all) out.push(a.type);
        break;
      default:
        out.push(a.type);
    }
  }
  return out;
}

class Machine {
  readonly clock = new FakeClock();
  s: ContainerLifecycle = initialLifecycle();
  last: LifecycleAction[] = [];
  env: Omit<LifecycleEnv, 'now'> = {
    container: 'app',
    pod: POD,
    restartPolicy: 'Always',
    backOff: { initialMs: 10_000, maxMs: 300_000, resetMs: 600_000 },
    graceMs: 30_000,
    hasStartupProbe: false,
    hasReadinessProbe: false,
  };
  private pid = 100;

  constructor(env: Partial<LifecycleEnv> = {}) {
    this.env = { ...this.env, ...env };
  }

  send(ev: LifecycleEvent): string[] {
    const r = step(this.s, ev, { ...this.env, now: this.clock.now() });
    this.s = r.state;
    this.last = r.actions;
    return words(r.actions);
  }

  /** Start, and answer the spawn: the container runs. */
  run(): void {
    if (this.s.phase === 'Waiting') this.send({ type: 'start' });
    assert.equal(this.s.phase, 'Starting');
    this.send({ type: 'spawned', pid: ++this.pid });
    assert.equal(this.s.phase, 'Running');
  }

  /** The running program exits after ranMs; its group is released. */
  crash(exitCode = 1, ranMs = 1000): string[] {
    this.clock.advance(ranMs);
    const said = this.send({ type: 'exited', index: this.s.run!.index, exitCode });
    return [...said, ...this.send({ type: 'released' })];
  }

  get index(): number {
    return this.s.run!.index;
  }
}

describe('container lifecycle: the pure step', () => {
  it('starts: Waiting -> Starting (spawn) -> Running, Created and Started, ready without a readiness probe', () => {
    const m = new Machine();
    assert.deepEqual(m.s.state, { waiting: { reason: 'ContainerCreating' } });
    assert.deepEqual(m.send({ type: 'start' }), ['spawn']);
    assert.equal(m.s.phase, 'Starting');
    assert.deepEqual(m.send({ type: 'spawned', pid: 42 }), ['Created: Created container app', 'Started: Started container app', 'probes liveness,readiness']);
    assert.equal(m.s.phase, 'Running');
    assert.deepEqual(m.s.state, { running: { startedAt: isoTime(m.clock.now()) } });
    assert.deepEqual(m.s.stateInstance, { index: 0, containerID: 'kip://42' });
    assert.deepEqual([m.s.ready, m.s.started, m.s.restartCount], [true, true, 0]);
    assert.ok(m.last.some((a) => a.type === 'report'));
  });

  it('a readiness probe gates ready; a startup probe holds back started, liveness and readiness', () => {
    const m = new Machine({ hasReadinessProbe: true, hasStartupProbe: true });
    m.send({ type: 'start' });
    assert.deepEqual(m.send({ type: 'spawned', pid: 7 }).at(-1), 'probes startup');
    assert.deepEqual([m.s.started, m.s.ready], [false, false]);
    assert.deepEqual(m.send({ type: 'probe', index: 0, kind: 'readiness', ok: true }), []);
    assert.equal(m.s.ready, false, 'not ready before started');
    assert.deepEqual(m.send({ type: 'probe', index: 0, kind: 'startup', ok: true }), ['probes liveness,readiness']);
    assert.deepEqual([m.s.started, m.s.ready], [true, false]);
    m.send({ type: 'probe', index: 0, kind: 'readiness', ok: true });
    assert.equal(m.s.ready, true);
    m.send({ type: 'probe', index: 0, kind: 'readiness', ok: false });
    assert.equal(m.s.ready, false);
    assert.equal(m.s.phase, 'Running');
  });

  it('an image that cannot be pulled waits with ErrImagePull until the definition changes', () => {
    const m = new Machine({ image: 'nope' });
    assert.deepEqual(m.send({ type: 'start', imageError: 'not found' }), ['Failed: Failed to pull image "nope": not found', 'Failed: Error: ErrImagePull']);
    assert.equal(m.s.phase, 'Waiting');
    assert.deepEqual(m.s.state, { waiting: { reason: 'ErrImagePull', message: 'Failed to pull image "nope": not found' } });
    assert.deepEqual(m.send({ type: 'specChanged' }), ['spawn']);
    assert.equal(m.s.phase, 'Starting');
  });

  it('crash: the first restart is at once, but only once the old run is released', () => {
    const m = new Machine();
    m.run();
    m.clock.advance(2000);
    const startedAt = isoTime(m.clock.now() - 2000);
    assert.deepEqual(m.send({ type: 'exited', index: 0, exitCode: 3 }), ['stopProbes', 'clear grace', 'release']);
    assert.equal(m.s.phase, 'Starting');
    const terminated = { exitCode: 3, reason: 'Error', startedAt, finishedAt: isoTime(m.clock.now()) };
    assert.deepEqual(m.s.state, { terminated });
    assert.deepEqual(m.s.lastState, { terminated });
    assert.deepEqual([m.s.ready, m.s.started], [false, false]);
    assert.deepEqual(m.send({ type: 'released' }), ['spawn']);
    m.send({ type: 'spawned', pid: 9 });
    assert.deepEqual([m.s.phase, m.s.restartCount], ['Running', 1]);
    assert.deepEqual(m.s.lastStateInstance, { index: 0, containerID: 'kip://101' });
  });

  it('crash loop: back-off waits 10s, then doubling to the 5m cap, as today', () => {
    const m = new Machine();
    m.run();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const said = m.crash();
      if (m.s.phase === 'BackOff') {
        const set = said.find((w) => w.startsWith('set backOff'));
        assert.ok(set, said.join('; '));
        const ms = Number(set.split(' ')[2]);
        delays.push(ms);
        assert.equal(m.s.state.waiting?.reason, 'CrashLoopBackOff');
        assert.ok(said.includes(`BackOff: Back-off restarting failed container app in pod ${POD}`));
        assert.equal(m.s.stateInstance, undefined);
        m.clock.advance(ms);
        assert.deepEqual(m.send({ type: 'backOffOver' }), ['spawn']);
      } else delays.push(0);
      m.send({ type: 'spawned', pid: 200 + i });
    }
    assert.deepEqual(delays, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    assert.equal(m.s.restartCount, 8);
  });

  it("the back-off message is the kubelet's, and a long run forgives the history", () => {
    const m = new Machine();
    m.run();
    m.crash();
    m.send({ type: 'spawned', pid: 1 });
    m.crash();
    assert.equal(m.s.state.waiting?.message, `back-off 10s restarting failed container=app pod=${POD}`);
    m.send({ type: 'backOffOver' });
    m.send({ type: 'spawned', pid: 2 });
    m.crash(1, 600_000);
    assert.equal(m.s.phase, 'Starting', 'at once again after a run of resetMs');
  });

  it('back-off over before the old run is released: starts when it is', () => {
    const m = new Machine({ backOff: { initialMs: 10, maxMs: 100, resetMs: 1000 } });
    m.run();
    m.crash();
    m.send({ type: 'spawned', pid: 1 });
    m.send({ type: 'exited', index: 1, exitCode: 1 });
    assert.equal(m.s.phase, 'BackOff');
    assert.deepEqual(m.send({ type: 'backOffOver' }), []);
    assert.equal(m.s.phase, 'Starting');
    assert.deepEqual(m.send({ type: 'released' }), ['spawn']);
  });

  it('liveness failure: Killing, SIGTERM, SIGKILL after the grace period, then the restart policy', () => {
    const m = new Machine({ graceMs: 5000 });
    m.run();
    assert.deepEqual(m.send({ type: 'probe', index: 0, kind: 'liveness', ok: true }), []);
    assert.deepEqual(m.send({ type: 'probe', index: 0, kind: 'liveness', ok: false }), [
      'stopProbes',
      'Killing: Container app failed liveness probe, will be restarted',
      'SIGTERM',
      'clear grace',
      'set grace 5000',
    ]);
    assert.equal(m.s.phase, 'Killing');
    m.clock.advance(5000);
    assert.deepEqual(m.send({ type: 'graceOver', index: 0 }), ['SIGKILL']);
    m.crash(137, 0);
    assert.deepEqual([m.s.phase, m.s.lastState.terminated?.reason, m.s.lastState.terminated?.exitCode], ['Starting', 'Error', 137]);
  });

  it('startup probe failure kills the run too', () => {
    const m = new Machine({ hasStartupProbe: true });
    m.run();
    assert.ok(m.send({ type: 'probe', index: 0, kind: 'startup', ok: false }).includes('Killing: Container app failed startup probe, will be restarted'));
    assert.equal(m.s.phase, 'Killing');
  });

  it('OOM: SIGKILL at once, reason OOMKilled with exit code 137, then the restart policy', () => {
    const m = new Machine({ restartPolicy: 'OnFailure' });
    m.run();
    assert.deepEqual(m.send({ type: 'overMemory', index: 0, memory: 2e6, limit: 1e6 }), ['SIGKILL']);
    assert.equal(m.s.phase, 'Killing');
    assert.deepEqual(m.send({ type: 'overMemory', index: 0, memory: 2e6, limit: 1e6 }), [], 'killed once');
    m.crash(137);
    assert.deepEqual(m.s.lastState.terminated && [m.s.lastState.terminated.reason, m.s.lastState.terminated.exitCode], ['OOMKilled', 137]);
    assert.equal(m.s.phase, 'Starting');
  });

  it('a new definition restarts the run at once, whatever the restart policy', () => {
    const m = new Machine({ restartPolicy: 'Never' });
    m.run();
    assert.ok(m.send({ type: 'specChanged' }).includes('Killing: Container app definition changed, will be restarted'));
    m.crash(0);
    assert.equal(m.s.phase, 'Starting');
    assert.ok(words(m.last).includes('spawn'));
  });

  it('restartPolicy: Never keeps any exit, OnFailure restarts failures only, Always restarts a clean exit too', () => {
    const cases: [LifecycleEnv['restartPolicy'], number, string][] = [
      ['Never', 1, 'Terminated'],
      ['Never', 0, 'Terminated'],
      ['OnFailure', 0, 'Terminated'],
      ['OnFailure', 2, 'Starting'],
      ['Always', 0, 'Starting'],
      [undefined, 0, 'Starting'],
    ];
    for (const [restartPolicy, code, phase] of cases) {
      const m = new Machine({ restartPolicy });
      m.run();
      m.crash(code);
      assert.equal(m.s.phase, phase, `${String(restartPolicy)} exit ${code}`);
      if (phase === 'Terminated') {
        assert.deepEqual(m.s.lastState, {});
        assert.equal(m.s.state.terminated?.reason, code === 0 ? 'Completed' : 'Error');
        assert.deepEqual(words(m.last), ['stopped'], 'released: nothing runs or will');
      }
    }
  });

  it('a program that cannot start is a StartError run with exit code 128, restarted by the policy', () => {
    const m = new Machine();
    m.send({ type: 'start' });
    const said = m.send({ type: 'spawnFailed', message: 'exec: "nope": executable file not found in $PATH' });
    assert.deepEqual(said, ['Failed: Error: failed to start container "app": exec: "nope": executable file not found in $PATH', 'spawn']);
    assert.deepEqual([m.s.phase, m.s.restartCount, m.s.runs], ['Starting', 0, 1]);
    assert.equal(m.s.lastState.terminated?.reason, 'StartError');
    assert.equal(m.s.lastState.terminated?.exitCode, 128);
    assert.deepEqual(m.s.lastStateInstance, { index: 0, containerID: '' });
    m.send({ type: 'spawnFailed', message: 'again' });
    assert.equal(m.s.phase, 'BackOff');
  });

  it('graceful stop: SIGTERM, a shorter grace brings SIGKILL closer, stopped once the group is released', () => {
    const m = new Machine();
    m.run();
    assert.deepEqual(m.send({ type: 'stop', graceMs: 30_000 }), ['stopProbes', 'Killing: Stopping container app', 'SIGTERM', 'clear grace', 'set grace 30000']);
    assert.equal(m.s.phase, 'Stopping');
    assert.deepEqual(m.send({ type: 'stop', graceMs: 60_000 }), ['stopProbes'], 'a longer grace changes nothing');
    m.clock.advance(1000);
    assert.deepEqual(m.send({ type: 'stop', graceMs: 2000 }), ['stopProbes', 'clear grace', 'set grace 2000'], 'no second SIGTERM');
    m.clock.advance(2000);
    assert.deepEqual(m.send({ type: 'graceOver', index: 0 }), ['SIGKILL']);
    assert.deepEqual(m.send({ type: 'exited', index: 0, exitCode: 137 }), ['stopProbes', 'clear grace', 'release']);
    assert.equal(m.s.phase, 'Terminated');
    assert.equal(m.s.state.terminated?.exitCode, 137);
    assert.deepEqual(m.s.lastState, {});
    assert.deepEqual(m.send({ type: 'released' }), ['stopped']);
  });

  it('a kill for a restart that turns into a stop does not restart', () => {
    const m = new Machine();
    m.run();
    m.send({ type: 'specChanged' });
    m.send({ type: 'stop', graceMs: 0, now: true });
    assert.equal(m.s.phase, 'Stopping');
    assert.ok(words(m.last).includes('SIGKILL'));
    m.crash(137);
    assert.equal(m.s.phase, 'Terminated');
  });

  it('OOM while stopping still says OOMKilled', () => {
    const m = new Machine();
    m.run();
    m.send({ type: 'stop', graceMs: 30_000 });
    m.send({ type: 'overMemory', index: 0, memory: 2, limit: 1 });
    m.crash(137);
    assert.deepEqual([m.s.phase, m.s.state.terminated?.reason], ['Terminated', 'OOMKilled']);
  });

  it('stop during back-off: the timer is cleared and the last run shows as the final state', () => {
    const m = new Machine();
    m.run();
    m.crash();
    m.send({ type: 'spawned', pid: 5 });
    m.crash();
    assert.equal(m.s.phase, 'BackOff');
    const last = m.s.lastState;
    const lastInstance = m.s.lastStateInstance;
    assert.deepEqual(m.send({ type: 'stop', graceMs: 30_000 }), ['clear backOff', 'stopped']);
    assert.equal(m.s.phase, 'Terminated');
    assert.deepEqual(m.s.state, last);
    assert.deepEqual(m.s.stateInstance, lastInstance);
    assert.deepEqual(m.s.lastState, {});
    assert.deepEqual(m.send({ type: 'backOffOver' }), [], 'a timer that fired anyway starts nothing');
  });

  it('stop while a restart waits for the old run to be released: stopped when it is, nothing starts', () => {
    const m = new Machine();
    m.run();
    m.send({ type: 'exited', index: 0, exitCode: 1 });
    assert.equal(m.s.phase, 'Starting');
    assert.deepEqual(m.send({ type: 'stop', graceMs: 1000 }), []);
    assert.equal(m.s.phase, 'Terminated');
    assert.deepEqual(m.send({ type: 'released' }), ['stopped']);
  });

  it('stop before the first start (agent shutdown while the sandbox is set up): ContainerStatusUnknown, and start does nothing', () => {
    const m = new Machine();
    assert.deepEqual(m.send({ type: 'stop', graceMs: 30_000 }), ['stopped']);
    assert.deepEqual(m.s.state, {
      terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' },
    });
    assert.deepEqual(m.send({ type: 'start' }), []);
    assert.equal(m.s.phase, 'Terminated');
  });

  it('ignores what comes from a run that is no longer the live one', () => {
    const m = new Machine();
    m.run();
    m.crash();
    m.send({ type: 'spawned', pid: 5 });
    assert.equal(m.index, 1);
    for (const ev of [
      { type: 'exited', index: 0, exitCode: 1 },
      { type: 'probe', index: 0, kind: 'liveness', ok: false },
      { type: 'overMemory', index: 0, memory: 2, limit: 1 },
      { type: 'graceOver', index: 0 },
    ] as LifecycleEvent[]) {
      const before = m.s;
      assert.deepEqual(m.send(ev), [], ev.type);
      assert.equal(m.s, before);
    }
  });

  it('init containers: restarted only on failure, never under restartPolicy Never; waiting as PodInitializing', () => {
    assert.equal(initRestartPolicy('Always'), 'OnFailure');
    assert.equal(initRestartPolicy(undefined), 'OnFailure');
    assert.equal(initRestartPolicy('Never'), 'Never');
    const m = new Machine({ restartPolicy: initRestartPolicy('Always') });
    m.s = initialLifecycle('PodInitializing');
    assert.deepEqual(m.s.state, { waiting: { reason: 'PodInitializing' } });
    m.run();
    m.crash(1, 1000);
    assert.equal(m.s.phase, 'Starting', 'a failed init container runs again');
    m.send({ type: 'spawned', pid: 9 });
    m.crash(0, 1000);
    assert.equal(m.s.phase, 'Terminated', 'a completed one does not');
    assert.equal((m.s as ContainerLifecycle).state.terminated?.reason, 'Completed');
    const never = new Machine({ restartPolicy: initRestartPolicy('Never') });
    never.run();
    never.crash(2);
    assert.equal(never.s.phase, 'Terminated');
    assert.equal(never.s.state.terminated?.exitCode, 2);
  });

  it('carries the termination message into state.terminated.message', () => {
    const m = new Machine({ restartPolicy: 'Never' });
    m.run();
    m.clock.advance(500);
    m.send({ type: 'exited', index: 0, exitCode: 1, message: 'disk full' });
    assert.deepEqual(m.s.state.terminated && { reason: m.s.state.terminated.reason, message: m.s.state.terminated.message }, {
      reason: 'Error',
      message: 'disk full',
    });
  });

  it('postStart runs as the run starts; a failed one kills the run, which restarts by the policy', () => {
    const m = new Machine({ hasPostStart: true, graceMs: 5000 });
    m.send({ type: 'start' });
    assert.deepEqual(m.send({ type: 'spawned', pid: 5 }).slice(-1), ['hook postStart 5000']);
    assert.deepEqual(m.send({ type: 'hookDone', index: 0, hook: 'postStart', ok: true }), []);
    assert.deepEqual(m.send({ type: 'hookDone', index: 0, hook: 'postStart', ok: false, message: 'Exec lifecycle hook failed' }), [
      'FailedPostStartHook: Exec lifecycle hook failed',
      'stopProbes',
      'Killing: FailedPostStartHook',
      'SIGTERM',
      'clear grace',
      'set grace 5000',
    ]);
    assert.equal(m.s.phase, 'Killing');
    m.crash(143, 100);
    assert.equal(m.s.phase, 'Starting', 'restarted at once: the first restart has no back-off');
  });

  it('preStop runs before the SIGTERM, within the grace period; SIGKILL when the grace period is over', () => {
    const m = new Machine({ hasPreStop: true });
    m.run();
    assert.deepEqual(m.send({ type: 'stop', graceMs: 10_000 }), [
      'stopProbes',
      'Killing: Stopping container app',
      'hook preStop 10000',
      'clear grace',
      'set grace 10000',
    ]);
    assert.equal(m.s.run?.preStopping, true);
    m.clock.advance(3000);
    assert.deepEqual(m.send({ type: 'hookDone', index: 0, hook: 'preStop', ok: true }), ['SIGTERM']);
    assert.deepEqual(m.send({ type: 'hookDone', index: 0, hook: 'preStop', ok: true }), [], 'a second answer sends nothing');
    const slow = new Machine({ hasPreStop: true });
    slow.run();
    slow.send({ type: 'stop', graceMs: 2000 });
    slow.clock.advance(2000);
    assert.deepEqual(slow.send({ type: 'graceOver', index: 0 }), ['SIGKILL'], 'a preStop that outlasts the grace period is cut short');
    const failed = new Machine({ hasPreStop: true });
    failed.run();
    failed.send({ type: 'probe', index: 0, kind: 'liveness', ok: false });
    assert.deepEqual(failed.send({ type: 'hookDone', index: 0, hook: 'preStop', ok: false, message: 'HTTP lifecycle hook failed' }), [
      'FailedPreStopHook: HTTP lifecycle hook failed',
      'SIGTERM',
    ]);
    const removed = new Machine({ hasPreStop: true });
    removed.run();
    assert.ok(!removed.send({ type: 'stop', graceMs: 0, now: true }).some((w) => w.startsWith('hook')), 'a pod removed from the store runs no hook');
  });

  describe('a container that ran under an earlier agent process (the agent restarted)', () => {
    it('starts again as a restart: restartCount 1, last state Terminated Unknown 255, as after a node reboot', () => {
      const m = new Machine();
      m.s = resumedLifecycle('ContainerCreating', {
        name: 'app',
        ready: true,
        restartCount: 0,
        image: 'pause',
        containerID: 'kip://4242',
        state: { running: { startedAt: '2026-01-01T00:00:00Z' } },
      } as never);
      assert.equal(m.s.restartCount, 0, 'while it waits, the count it had');
      assert.deepEqual(m.s.lastState, { terminated: { exitCode: 255, reason: 'Unknown', startedAt: '2026-01-01T00:00:00Z', containerID: 'kip://4242' } });
      assert.deepEqual(m.send({ type: 'start' }), ['spawn'], 'no back-off: it did not crash');
      m.send({ type: 'spawned', pid: 7 });
      assert.equal(m.s.restartCount, 1);
      assert.equal(m.s.run!.index, 1);
      m.crash();
      assert.equal(m.s.restartCount, 1, 'a crash after counts on from there');
    });

    it('counts on from a count it had, and keeps a terminated last run as the last state', () => {
      const terminated = { exitCode: 1, reason: 'Error', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:05Z' };
      const s = resumedLifecycle('ContainerCreating', {
        name: 'app',
        ready: false,
        restartCount: 3,
        image: 'pause',
        containerID: 'kip://9',
        state: { terminated },
      } as never);
      assert.equal(s.runs, 4);
      assert.deepEqual(s.lastState, { terminated });
    });

    it('a container that never ran (still creating) starts fresh', () => {
      const s = resumedLifecycle('ContainerCreating', {
        name: 'app',
        ready: false,
        restartCount: 0,
        image: 'pause',
        state: { waiting: { reason: 'ContainerCreating' } },
      } as never);
      assert.deepEqual(s, initialLifecycle('ContainerCreating'));
      assert.deepEqual(resumedLifecycle('PodInitializing', undefined), initialLifecycle('PodInitializing'));
    });
  });
});
