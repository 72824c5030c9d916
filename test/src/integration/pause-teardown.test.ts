// Stopping a cluster while chaos holds a node paused (Ctrl-C during `npm run chaos -- pause`): the
// launcher's teardown must not wait for the pause to end, and must leave nothing behind: no
// frozen pod that never got its SIGTERM, and no resumer sleeping out the rest of the pause.

import assert from 'node:assert/strict';
import { CHAOS_API_VERSION, type NodeChaos, type Pod } from '@kip/shared';
import { readProcStat } from '@kip/agent';
import { TestCluster } from '../helpers/cluster.js';
import { eventually, isAlive } from '../helpers/wait.js';

describe('stopping a cluster while a node is paused', function () {
  this.timeout(60_000);
  let cluster: TestCluster | undefined;

  after(async function () {
    await cluster?.stop().catch(() => {});
  });

  it('stops the paused agent and its pods promptly and leaves no process, the resumer included', async () => {
    cluster = await TestCluster.start({ nodes: 1 });
    // http-echo handles SIGTERM itself, so a frozen one keeps the signal pending until continued.
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'echo' },
      spec: { terminationGracePeriodSeconds: 30, containers: [{ name: 'echo', image: 'http-echo', ports: [{ containerPort: 8080 }] }] },
    };
    await cluster.api.create(pod);
    await eventually('the pod to run', async () => (await cluster!.api.get<Pod>('pods', 'echo'))?.status?.phase === 'Running');
    const agentPid = cluster.agentPid('node-1');
    const chaos: NodeChaos = {
      apiVersion: CHAOS_API_VERSION,
      kind: 'NodeChaos',
      metadata: { name: 'long-nap' },
      spec: { action: 'pause', selector: { nodes: ['node-1'] }, duration: '5m' },
    };
    await cluster.api.create(chaos);
    await eventually('the agent to be stopped', () => readProcStat(agentPid)?.state === 'T', { intervalMs: 50 });
    const line = await eventually('the pause to be logged', () => cluster!.agents.get('node-1')!.output.find((l) => l.includes('paused by chaos')));
    const resumer = Number(/resumer=(\d+)/.exec(line)?.[1]);
    assert.ok(resumer > 0 && isAlive(resumer), `a live resumer in: ${line}`);

    const started = Date.now();
    const c = cluster;
    cluster = undefined;
    await c.stop(); // fails if any process of the cluster, pods included, is left
    const tookMs = Date.now() - started;
    assert.ok(tookMs < 10_000, `teardown took ${tookMs} ms: it waited for the agent's grace instead of continuing it`);
    await eventually('the resumer to be gone', () => !isAlive(resumer), { timeoutMs: 3000 });
  });
});
