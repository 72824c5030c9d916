// Sidecars (init containers with restartPolicy Always) with a real Kubelet and real processes: they
// start in their turn, keep running beside the containers, and are stopped when a Job's pod is done.

import assert from 'node:assert/strict';
import { Harness, makePod, pidAlive, pidOf } from './harness.js';

describe('kubelet: sidecar containers with real processes', function () {
  this.timeout(30_000);
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('starts the sidecar before the containers and keeps it running beside them; the pod is Initialized and Running', async () => {
    const pod = makePod('with-sidecar', [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'sleep 600'] }], {
      initContainers: [{ name: 'shipper', image: 'busybox', restartPolicy: 'Always', command: ['sh', '-c', 'sleep 600'] }],
    });
    h.kubelet.sync([pod]);
    const st = await h.waitStatus(pod, 'Running', (s) => s.phase === 'Running' && !!s.containerStatuses?.[0]?.state.running);
    assert.equal(st.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
    const side = st.initContainerStatuses![0]!;
    assert.ok(side.state.running, 'the sidecar still runs');
    assert.ok(pidAlive(pidOf(side.containerID)));
    const appStarted = Date.parse(st.containerStatuses![0]!.state.running!.startedAt!);
    assert.ok(Date.parse(side.state.running!.startedAt!) <= appStarted, 'the sidecar started first');
  });

  it("stops the sidecar once a restartPolicy Never pod's container has exited, and the pod Succeeds", async () => {
    const pod = makePod('job-sidecar', [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo done'] }], {
      restartPolicy: 'Never',
      initContainers: [{ name: 'shipper', image: 'busybox', restartPolicy: 'Always', command: ['sh', '-c', 'sleep 600'] }],
    });
    h.kubelet.sync([pod]);
    const st = await h.waitStatus(
      pod,
      'Succeeded with the sidecar stopped',
      (s) => s.phase === 'Succeeded' && !!s.initContainerStatuses?.[0]?.state.terminated,
    );
    assert.equal(st.containerStatuses![0]!.state.terminated?.exitCode, 0);
  });
});
