// Restart policies, CrashLoopBackOff, start errors and OOM kills, with real processes.

import assert from 'node:assert/strict';
import { Harness, makePod, pidAlive, pidOf, waitFor } from './harness.js';

describe('kubelet: restarts, back-off and OOM kills', function () {
  this.timeout(30_000);
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('restarts a crashing container with CrashLoopBackOff, keeping lastState and restartCount', async () => {
    const pod = makePod('crash-1', [{ name: 'web', image: 'crasher', args: ['--after', '100ms', '--code', '3'] }]);
    h.kubelet.sync([pod]);
    const st = await h.waitStatus(pod, 'CrashLoopBackOff', (s) => s.containerStatuses?.[0]?.state.waiting?.reason === 'CrashLoopBackOff');
    const cs = st.containerStatuses![0]!;
    assert.equal(st.phase, 'Running', 'a crash-looping pod is Running, as in Kubernetes');
    assert.ok(cs.restartCount >= 1);
    assert.equal(cs.lastState.terminated?.exitCode, 3);
    assert.equal(cs.lastState.terminated?.reason, 'Error');
    assert.ok(cs.lastState.terminated?.startedAt && cs.lastState.terminated.finishedAt);
    assert.match(
      cs.state.waiting!.message!,
      new RegExp(`^back-off \\d+(\\.\\d+)?m?s restarting failed container=web pod=crash-1_default\\(${pod.metadata.uid}\\)$`),
    );
    assert.equal(cs.ready, false);
    const ev = await h.waitEvent(pod, 'BackOff');
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, `Back-off restarting failed container web in pod crash-1_default(${pod.metadata.uid})`);
    // Back-off doubles: the waiting messages name growing delays.
    await h.waitStatus(pod, 'restartCount 3', (s) => (s.containerStatuses?.[0]?.restartCount ?? 0) >= 3);
    const delays = h.statuses
      .filter((s) => s.ref.uid === pod.metadata.uid)
      .map((s) => s.status.containerStatuses?.[0]?.state.waiting?.message)
      .filter((m): m is string => !!m)
      .map((m) => /back-off (\S+) /.exec(m)![1]);
    assert.deepEqual([...new Set(delays)].slice(0, 2), ['300ms', '600ms']);
  });

  it('restartPolicy Never: a failed container stays terminated and the pod is Failed', async () => {
    const pod = makePod('never-1', [{ name: 'c', image: 'crasher', args: ['--after=50ms', '--code=2'] }], { restartPolicy: 'Never' });
    h.kubelet.sync([pod]);
    const st = await h.waitStatus(pod, 'Failed', (s) => s.phase === 'Failed');
    const cs = st.containerStatuses![0]!;
    assert.equal(cs.state.terminated?.exitCode, 2);
    assert.equal(cs.state.terminated?.reason, 'Error');
    assert.equal(cs.restartCount, 0);
    assert.deepEqual(cs.lastState, {});
    assert.equal(st.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodCompleted');
  });

  it('restartPolicy OnFailure: a clean exit completes the pod, a failing one is restarted', async () => {
    const ok = makePod('onfail-ok', [{ name: 'c', image: 'crasher', args: ['--after', '50ms', '--code', '0'] }], { restartPolicy: 'OnFailure' });
    const bad = makePod('onfail-bad', [{ name: 'c', image: 'crasher', args: ['--after', '50ms', '--code', '1'] }], { restartPolicy: 'OnFailure' });
    h.kubelet.sync([ok, bad]);
    const done = await h.waitStatus(ok, 'Succeeded', (s) => s.phase === 'Succeeded');
    assert.equal(done.containerStatuses![0]!.state.terminated?.reason, 'Completed');
    assert.equal(done.containerStatuses![0]!.restartCount, 0);
    const st = await h.waitStatus(bad, 'restarted', (s) => (s.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    assert.equal(st.phase, 'Running');
  });

  it('restartPolicy Always restarts a container that exits 0 too', async () => {
    const pod = makePod('always-0', [{ name: 'c', image: 'crasher', args: ['--after', '50ms', '--code', '0'] }]);
    h.kubelet.sync([pod]);
    const st = await h.waitStatus(
      pod,
      'restarted',
      (s) => (s.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && !!s.containerStatuses![0]!.lastState.terminated,
    );
    assert.equal(st.containerStatuses![0]!.lastState.terminated?.reason, 'Completed');
  });

  it('kills a container over its memory limit: OOMKilled, exit code 137, then restart policy applies', async () => {
    const pod = makePod('hog', [{ name: 'stress', image: 'stress', args: ['--memory', '160Mi'], resources: { limits: { memory: '64Mi' } } }], {
      restartPolicy: 'Never',
    });
    h.kubelet.sync([pod]);
    const st = await h.waitStatus(pod, 'OOMKilled', (s) => !!s.containerStatuses?.[0]?.state.terminated, 20_000);
    const t = st.containerStatuses![0]!.state.terminated!;
    assert.equal(t.reason, 'OOMKilled');
    assert.equal(t.exitCode, 137);
    assert.equal(st.phase, 'Failed');
  });

  it('a command that does not exist is a StartError (exit 128) with a Failed event, then back-off', async () => {
    const pod = makePod('no-cmd', [{ name: 'c', command: ['definitely-not-a-program-kip'] }]);
    h.kubelet.sync([pod]);
    const st = await h.waitStatus(pod, 'back-off after StartError', (s) => s.containerStatuses?.[0]?.state.waiting?.reason === 'CrashLoopBackOff');
    const last = st.containerStatuses![0]!.lastState.terminated!;
    assert.equal(last.exitCode, 128);
    assert.equal(last.reason, 'StartError');
    assert.match(last.message ?? '', /executable file not found in \$PATH/);
    await h.waitEvent(pod, 'Failed', /^Error: failed to start container "c": exec: "definitely-not-a-program-kip": executable file not found in \$PATH$/);
  });

  it('kills what a container left behind in its group when it exits', async () => {
    const pod = makePod('leaver', [{ name: 'c', command: ['sh', '-c', 'sleep 1000 & echo $! > child.pid; sleep 0.3; exit 0'] }], { restartPolicy: 'Never' });
    h.kubelet.sync([pod]);
    const file = `${h.podDir(pod)}/child.pid`;
    const fs = await import('node:fs');
    const child = await waitFor('child pid', () =>
      fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim() ? Number(fs.readFileSync(file, 'utf8')) : undefined,
    );
    assert.ok(pidAlive(child));
    await h.waitStatus(pod, 'Succeeded', (s) => s.phase === 'Succeeded');
    await waitFor('the left-behind child to be killed', () => !pidAlive(child), 2000);
    assert.ok(pidOf(h.container(pod)!.containerID) > 0);
  });
});
