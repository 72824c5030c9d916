import assert from 'node:assert/strict';
import { CpuThrottle, GroupRegistry, groupCpuMs, initialDuty, nextWindow, PERIOD_MS, ProcessGroup, readProcStat, type DutyState } from '@kip/agent';

/** Runs a busy program under the duty cycle for `periods`, each using `demand` cores while it runs; returns the mean usage in millicores. */
function simulate(limitMillis: number, demand: number, periods: number): { millis: number; windows: number[] } {
  let state: DutyState = initialDuty();
  let used = 0;
  let ran = 0;
  let total = 0;
  const windows: number[] = [];
  for (let i = 0; i < periods; i++) {
    const next = nextWindow(state, limitMillis, used, ran);
    state = next.state;
    windows.push(next.runMs);
    ran = next.runMs;
    used = next.runMs * demand;
    total += used;
  }
  return { millis: (total / (periods * PERIOD_MS)) * 1000, windows };
}

describe('CPU throttle: the duty cycle', () => {
  for (const [name, limit, demand] of [
    ['200m, one busy core', 200, 1],
    ['500m, one busy core', 500, 1],
    ['1500m, two busy cores', 1500, 2],
    ['50m, one busy core', 50, 1],
    ['1 cpu, two busy cores (the docs example: vish/stress -cpus 2)', 1000, 2],
  ] as const) {
    it(`${name}: the mean use is the limit`, () => {
      const r = simulate(limit, demand, 200);
      assert.ok(Math.abs(r.millis - limit) <= limit * 0.05, `${r.millis}m used for a ${limit}m limit`);
    });
  }

  it('a group at 200m runs a fifth of every period, not a whole period in five', () => {
    const { windows } = simulate(200, 1, 50);
    for (const w of windows.slice(10)) assert.ok(w > 15 && w < 25, `window of ${w} ms`);
  });

  it('a group under its limit is never stopped', () => {
    let state = initialDuty();
    for (let i = 0; i < 20; i++) {
      const next = nextWindow(state, 500, 20, PERIOD_MS);
      state = next.state;
      assert.equal(next.runMs, PERIOD_MS);
    }
  });

  it('idle time is not saved up: credit never exceeds one period of quota', () => {
    let state = initialDuty();
    for (let i = 0; i < 50; i++) state = nextWindow(state, 200, 0, PERIOD_MS).state;
    assert.equal(state.creditMs, 20);
  });

  it('a burst seen late is paid for by stopped periods, and a bounded debt', () => {
    // 3 s of CPU found at once (children forked since the last look at new pids).
    const first = nextWindow(initialDuty(), 200, 3000, PERIOD_MS);
    assert.equal(first.runMs, 0);
    assert.equal(first.state.creditMs, -20 * 50, 'at most 50 periods of debt');
    let state = first.state;
    let stopped = 1;
    for (;;) {
      const next = nextWindow(state, 200, 0, 0);
      state = next.state;
      if (next.runMs > 0) break;
      stopped++;
    }
    assert.equal(stopped, 51);
  });

  it("a group's CPU: deltas per pid, and the whole life of a pid first seen", () => {
    const first = groupCpuMs(
      [
        { pid: 10, state: 'R', ppid: 1, pgid: 10, cpuTicks: 5 },
        { pid: 11, state: 'R', ppid: 10, pgid: 10, cpuTicks: 2 },
      ],
      new Map(),
    );
    assert.equal(first.usedMs, 70);
    const second = groupCpuMs(
      [
        { pid: 10, state: 'R', ppid: 1, pgid: 10, cpuTicks: 6 },
        { pid: 12, state: 'R', ppid: 10, pgid: 10, cpuTicks: 3 },
      ],
      first.seen,
    );
    assert.equal(second.usedMs, 40, '1 tick of pid 10, and 3 of the new pid 12; pid 11 is gone');
  });
});

describe('CPU throttle: a real busy process', function () {
  this.timeout(30_000);

  it('holds a busy loop near 200m, keeps its watcher running, and leaves it running when released', async () => {
    const registry = new GroupRegistry();
    const busy = () => ProcessGroup.spawn({ argv: ['/bin/sh', '-c', 'while :; do :; done'], env: { PATH: '/usr/bin:/bin' }, cwd: '/' }, registry);
    const group = busy();
    // An unthrottled loop beside it says what the loaded machine would give the throttled one.
    const control = busy();
    const throttle = new CpuThrottle();
    try {
      const until = Date.now() + 5000;
      while (group.watcherPid === undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.ok(group.watcherPid, 'the group says its watcher');
      throttle.limit(group.pid, 200, () => group.watcherPid);
      const ticks = () => readProcStat(group.pid)?.cpuTicks ?? 0;
      // Let the throttle settle, then measure CPU time over a stretch of wall time, from /proc.
      await new Promise((r) => setTimeout(r, 1000));
      const t0 = ticks();
      const c0 = readProcStat(control.pid)?.cpuTicks ?? 0;
      const w0 = Date.now();
      let watcherStopped = false;
      while (Date.now() - w0 < 3000) {
        if (readProcStat(group.watcherPid)?.state === 'T') watcherStopped = true;
        await new Promise((r) => setTimeout(r, 7));
      }
      const rate = (ticks: number) => (ticks * 10 * 1000) / (Date.now() - w0);
      const millis = rate(ticks() - t0);
      const free = rate((readProcStat(control.pid)?.cpuTicks ?? 0) - c0);
      assert.ok(millis <= 260, `${millis.toFixed(0)}m used under a 200m limit`);
      // On a machine busy enough that a free loop gets little more than the limit, the throttled one gets what it can.
      assert.ok(millis >= Math.min(140, free * 0.5), `${millis.toFixed(0)}m used under a 200m limit, ${free.toFixed(0)}m by a free loop`);
      // Stopped over and over, unless the machine is so busy that the loop never reaches its limit.
      if (free > 300) assert.ok(throttle.stats.stops > 10, `stopped ${throttle.stats.stops} times`);
      assert.equal(watcherStopped, false, 'the watcher is never left stopped');
      throttle.release(group.pid);
      assert.equal(throttle.size, 0);
      assert.notEqual(readProcStat(group.pid)?.state, 'T', 'released: never left stopped');
    } finally {
      throttle.releaseAll();
      for (const g of [group, control]) {
        g.signal('SIGKILL');
        await g.release();
      }
    }
  });
});
