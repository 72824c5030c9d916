import assert from 'node:assert/strict';
import { backOffMessage, CrashLoopBackoff, formatGoDuration, formatPod, shouldRestart } from '@kip/agent';

describe('kubelet restart policy and CrashLoopBackOff', () => {
  it('restarts by restartPolicy', () => {
    const table: [Parameters<typeof shouldRestart>[0], number, boolean][] = [
      ['Always', 0, true],
      ['Always', 1, true],
      [undefined, 0, true],
      ['OnFailure', 0, false],
      ['OnFailure', 137, true],
      ['Never', 0, false],
      ['Never', 1, false],
    ];
    for (const [policy, code, want] of table) assert.equal(shouldRestart(policy, code), want, `${String(policy)} ${code}`);
  });

  it('restarts at once the first time, then waits initial, doubling to the cap', () => {
    const b = new CrashLoopBackoff({ initialMs: 10_000, maxMs: 300_000, resetMs: 600_000 });
    const delays = Array.from({ length: 8 }, () => b.nextDelay(1000));
    assert.deepEqual(delays, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });

  it('forgives the history after a run as long as resetMs', () => {
    const b = new CrashLoopBackoff({ initialMs: 1000, maxMs: 8000, resetMs: 60_000 });
    b.nextDelay(10);
    b.nextDelay(10);
    assert.equal(b.nextDelay(10), 2000);
    assert.equal(b.nextDelay(60_000), 0);
    assert.equal(b.nextDelay(10), 1000);
  });

  it('writes the kubelet messages', () => {
    assert.equal(formatGoDuration(20_000), '20s');
    assert.equal(formatGoDuration(80_000), '1m20s');
    assert.equal(formatGoDuration(300_000), '5m0s');
    assert.equal(formatGoDuration(1500), '1.5s');
    assert.equal(formatGoDuration(300), '300ms');
    const pod = { metadata: { name: 'web-abc', namespace: 'default', uid: '123' } };
    assert.equal(formatPod(pod), 'web-abc_default(123)');
    assert.equal(backOffMessage(20_000, 'web', formatPod(pod)), 'back-off 20s restarting failed container=web pod=web-abc_default(123)');
  });
});
