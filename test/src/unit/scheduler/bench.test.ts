import assert from 'node:assert/strict';
import { benchScheduler, benchSchedulerMedian } from '@kip/scripts';

describe('scheduler benchmark (benchScheduler)', () => {
  it('binds every pod with the real scheduler and reports throughput and latency', async () => {
    const r = await benchScheduler({ nodes: 20, pods: 300 });
    assert.equal(r.nodes, 20);
    assert.equal(r.pods, 300);
    assert.ok(r.seconds > 0, `seconds ${r.seconds}`);
    assert.ok(r.podsPerSecond > 0, `podsPerSecond ${r.podsPerSecond}`);
    assert.ok(r.p50Ms > 0 && r.p50Ms <= r.p99Ms, `p50 ${r.p50Ms} p99 ${r.p99Ms}`);
    assert.ok(r.p99Ms <= r.seconds * 1000 + 1, 'no pod waited longer than the whole run');
    assert.ok(r.cpuUsPerPod > 0, `cpuUsPerPod ${r.cpuUsPerPod}`);
  });

  it('reports the median of several runs, with every run listed', async () => {
    const r = await benchSchedulerMedian({ nodes: 20, pods: 200 }, 3);
    assert.equal(r.runs.length, 3);
    const sorted = [...r.runs].sort((a, b) => a - b);
    assert.equal(r.podsPerSecond, sorted[1], 'the middle run is the one reported');
    await assert.rejects(benchSchedulerMedian({ nodes: 20, pods: 200 }, 0), /benchSchedulerMedian: runs must be a positive integer, got 0/);
  });

  it('refuses sizes that cannot work, naming the field', async () => {
    await assert.rejects(benchScheduler({ nodes: 0, pods: 10 }), /benchScheduler: nodes must be a positive integer, got 0/);
    await assert.rejects(benchScheduler({ nodes: 1, pods: 1.5 }), /benchScheduler: pods must be a positive integer, got 1.5/);
    await assert.rejects(benchScheduler({ nodes: 1, pods: 41 }), /do not fit on 1 nodes/);
  });
});
