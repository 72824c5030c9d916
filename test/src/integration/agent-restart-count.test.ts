// An agent process restarted (not the control plane): the pods it ran died with it, and it starts
// them again. Kubernetes counts that as a container restart (as after a node reboot): restartCount
// 1, and the last state Terminated with reason Unknown.

import assert from 'node:assert/strict';
import type { Pod } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/wait.js';

describe('an agent restarted under its pods', function () {
  this.timeout(120_000);
  let c: TestCluster | undefined;

  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  it('runs them again as container restarts: restartCount 1, last state Terminated Unknown', async () => {
    // The pods outlive their node's absence (a 300 s toleration), so the same pod comes back to it.
    c = await TestCluster.start({ nodes: 1, controlPlaneArgs: ['--pod-eviction-timeout', '300s'] });
    await c.api.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'pause' }] } } as Pod);
    const before = await eventually('the pod to run', async () => {
      const p = await c!.api.get<Pod>('pods', 'p');
      return p?.status?.phase === 'Running' ? p : undefined;
    });
    assert.equal(before.status?.containerStatuses?.[0]?.restartCount, 0);
    await c.killAgent('node-1');
    c.startAgent('node-1');
    const after = await eventually(
      'the pod to run again on the restarted agent',
      async () => {
        const p = await c!.api.get<Pod>('pods', 'p');
        const cs = p?.status?.containerStatuses?.[0];
        return cs?.state?.running && cs.containerID !== before.status?.containerStatuses?.[0]?.containerID ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(after.metadata.uid, before.metadata.uid, 'the same pod');
    const cs = after.status!.containerStatuses![0]!;
    assert.equal(cs.restartCount, 1);
    assert.equal(cs.lastState?.terminated?.reason, 'Unknown');
    assert.equal(cs.lastState?.terminated?.exitCode, 255);
  });
});
