// A container whose ConfigMap or Secret is missing waits (CreateContainerConfigError) and starts
// once it is there: the lifecycle's transitions, as plain calls of `step`.

import assert from 'node:assert/strict';
import { CONFIG_RETRY_MS, initialLifecycle, step, type ContainerLifecycle, type LifecycleEnv, type LifecycleEvent } from '@kip/agent';

const env: LifecycleEnv = {
  now: 1_000_000,
  container: 'app',
  pod: 'web_default(u1)',
  image: 'busybox',
  restartPolicy: 'Always',
  backOff: { initialMs: 1000, maxMs: 8000, resetMs: 60_000 },
  graceMs: 5000,
  hasStartupProbe: false,
  hasReadinessProbe: false,
};

function run(s: ContainerLifecycle, ...events: LifecycleEvent[]): { s: ContainerLifecycle; actions: string[] } {
  const actions: string[] = [];
  for (const ev of events) {
    const r = step(s, ev, env);
    s = r.state;
    for (const a of r.actions)
      if (a.type === 'event') actions.push(`${a.reason}: ${a.message}`);
      else if (a.type === 'setTimer' || a.type === 'clearTimer') actions.push(`${a.type} ${a.timer}`);
      else if (a.type !== 'log' && a.type !== 'report') actions.push(a.type);
  }
  return { s, actions };
}

describe('config: a container waiting for its config', () => {
  it('waits with CreateContainerConfigError, counts no restart, and starts on a retry', () => {
    const failed = run(initialLifecycle(), { type: 'start' }, { type: 'configFailed', message: 'configmap "app" not found' });
    assert.equal(failed.s.phase, 'Waiting');
    assert.deepEqual(failed.s.state, { waiting: { reason: 'CreateContainerConfigError', message: 'configmap "app" not found' } });
    assert.equal(failed.s.restartCount, 0);
    assert.equal(failed.s.runs, 0);
    assert.deepEqual(failed.actions, ['spawn', 'Failed: Error: configmap "app" not found', 'setTimer configRetry']);
    assert.ok(CONFIG_RETRY_MS > 0);

    const retried = run(failed.s, { type: 'configRetry' }, { type: 'spawned', pid: 42 });
    assert.equal(retried.s.phase, 'Running');
    assert.equal(retried.s.restartCount, 0);
    assert.deepEqual(retried.actions.slice(0, 2), ['clearTimer configRetry', 'spawn']);
  });

  it('ignores a retry when not waiting for config, and a stop clears the retry timer', () => {
    const running = run(initialLifecycle(), { type: 'start' }, { type: 'spawned', pid: 7 });
    assert.deepEqual(run(running.s, { type: 'configRetry' }).actions, []);
    const waiting = run(initialLifecycle(), { type: 'start' }, { type: 'configFailed', message: 'secret "db" not found' });
    const stopped = run(waiting.s, { type: 'stop', graceMs: 1000 });
    assert.equal(stopped.s.phase, 'Terminated');
    assert.ok(stopped.actions.includes('clearTimer configRetry'), stopped.actions.join());
    assert.ok(stopped.actions.includes('stopped'));
  });
});
