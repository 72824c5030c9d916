// The kubelet with stand-in processes on a fake clock: a node shutdown stops every pod gracefully,
// a container in back-off at once and a running one with SIGTERM, then SIGKILL when the pod's
// grace period is over on the clock; the pods end with the reason Terminated.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeClock, silentLogger, type PodStatus } from '@kip/shared';
import { Kubelet } from '@kip/agent';
import { FakeProcess, settle } from './fake-process.js';
import { makePod, NODE, TEST_TIMING, waitFor } from './harness.js';

describe('kubelet on a fake clock', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kip-kubelet-fake-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('agent shutdown: a container in back-off stops at once, a running one gets SIGTERM, then SIGKILL after the grace period', async () => {
    const clock = new FakeClock();
    const procs = new Map<string, FakeProcess[]>();
    const statuses: PodStatus[] = [];
    const kubelet = new Kubelet({
      nodeName: NODE,
      dataDir: path.join(dir, 'nodes', NODE),
      podCIDR: '10.244.1.0/24',
      timing: TEST_TIMING,
      log: silentLogger,
      clock,
      hooks: { status: (u) => statuses.push(structuredClone(u.status)), event: () => undefined, terminated: () => undefined },
      // Pids far above any real one: the resource sampler finds nothing of them.
      spawn: (opts) => {
        const name = opts.argv.at(-1)!;
        const list = procs.get(name) ?? [];
        procs.set(name, list);
        const p = new FakeProcess(4_100_000 + list.length * 10 + procs.size, name === 'serve');
        list.push(p);
        return p;
      },
    });
    const pod = makePod(
      'web',
      [
        { name: 'app', command: ['sh', '-c', 'serve'] },
        { name: 'crash', command: ['sh', '-c', 'crash'] },
      ],
      { terminationGracePeriodSeconds: 5 },
    );
    kubelet.sync([pod]);
    await waitFor('both containers to start', () => procs.get('serve')?.length === 1 && procs.get('crash')?.length === 1);
    procs.get('crash')![0]!.exit(1);
    await waitFor('the restart at once', () => procs.get('crash')!.length === 2);
    procs.get('crash')![1]!.exit(1);
    await settle();
    const last = () => statuses.at(-1)!;
    assert.equal(last().containerStatuses?.find((c) => c.name === 'crash')?.state.waiting?.reason, 'CrashLoopBackOff');

    let down = false;
    void kubelet.shutdown().then(() => (down = true));
    const serve = procs.get('serve')![0]!;
    await settle();
    assert.deepEqual(serve.signals, ['SIGTERM']);
    clock.advance(4999);
    await settle();
    assert.deepEqual(serve.signals, ['SIGTERM']);
    assert.equal(down, false);
    clock.advance(1);
    assert.deepEqual(serve.signals, ['SIGTERM', 'SIGKILL']);
    await waitFor('the shutdown to finish', () => down);
    assert.equal(procs.get('crash')!.length, 2, 'nothing restarted during the shutdown');
    assert.deepEqual([last().phase, last().reason], ['Failed', 'Terminated']);
    assert.deepEqual(
      last().containerStatuses?.map((c) => [c.name, c.state.terminated?.reason, c.state.terminated?.exitCode]),
      [
        ['app', 'Error', 137],
        ['crash', 'Error', 1],
      ],
    );
    clock.advance(60_000);
    assert.equal(procs.get('crash')!.length, 2);
  });
});
