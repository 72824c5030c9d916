import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { ProcessTable, groupGone, groupMembers, parseProcStat, readProcStat } from '@kip/agent';
import { lastPid } from '@kip/shared';
import { ResourceSampler, usageByGroup } from '@kip/agent';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { GroupRegistry, ProcessGroup, exitCodeOf } from '@kip/agent';
import { waitFor } from './harness.js';

describe('kubelet /proc and resource sums', () => {
  it('parses /proc/<pid>/stat, names with spaces and parentheses included', () => {
    assert.deepEqual(parseProcStat(42, '42 (my (odd) name) S 1 42 42 0 -1'), { pid: 42, state: 'S', ppid: 1, pgid: 42 });
    assert.equal(parseProcStat(1, 'garbage'), undefined);
    const me = readProcStat(process.pid)!;
    assert.equal(me.pid, process.pid);
    assert.equal(me.ppid, process.ppid);
    assert.ok(me.cpuTicks! > 0 && me.rssPages! > 0, 'utime + stime and rss are read from the same line');
  });

  it('finds the live members of a process group and sees it gone', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 30 & exec sleep 30'], { detached: true, stdio: 'ignore' });
    const pgid = child.pid!;
    try {
      const members = await waitFor('two members', () => {
        const m = groupMembers(new Set([pgid])).get(pgid);
        return m && m.length === 2 ? m : undefined;
      });
      assert.ok(members.includes(pgid));
      assert.equal(groupGone(pgid), false);
    } finally {
      process.kill(-pgid, 'SIGKILL');
    }
    await waitFor('group gone', () => groupGone(pgid));
  });

  it('finds what a group forks after the last look by the pids handed out since, not counting threads as processes', async () => {
    // The group: a Node process (a dozen threads, whose ids come right after its pid) that forks
    // a sleep when told to.
    const script = "process.stdin.once('data', () => require('child_process').spawn('sleep', ['30'], { stdio: 'ignore' })); console.log('up');";
    const table = new ProcessTable();
    const listings: string[] = [];
    const readdirSync = fs.readdirSync;
    fs.readdirSync = ((dir: fs.PathLike, ...rest: never[]) => {
      if (String(dir) === '/proc') listings.push('/proc');
      return (readdirSync as (...a: unknown[]) => unknown)(dir, ...rest);
    }) as typeof fs.readdirSync;
    const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
    const pgid = child.pid!;
    // As the kubelet does for what it spawns (ProcessGroup.spawn).
    table.track(pgid);
    try {
      await new Promise((r) => child.stdout!.once('data', r));
      assert.deepEqual(table.members(new Set([pgid])).get(pgid), [pgid], 'the threads of the Node process are not members');
      child.stdin!.write('fork\n');
      const members = await waitFor('the forked sleep', () => {
        const m = table.members(new Set([pgid])).get(pgid);
        return m && m.length === 2 ? m : undefined;
      });
      assert.equal(readProcStat(members.find((p) => p !== pgid)!)?.ppid, pgid);
      assert.deepEqual(listings, [], 'new pids were read by number, /proc never listed');
    } finally {
      fs.readdirSync = readdirSync;
      process.kill(-pgid, 'SIGKILL');
    }
  });

  it('finds a burst of 300 forks over a few looks, a bounded share of the new pids each', async () => {
    const table = new ProcessTable();
    const child = spawn('/bin/sh', ['-c', 'for i in $(seq 300); do sleep 30 & done; echo up; wait'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const pgid = child.pid!;
    table.track(pgid);
    try {
      await new Promise((r) => child.stdout!.once('data', r));
      const first = table.members(new Set([pgid])).get(pgid)!.length;
      assert.ok(first <= 257, `one look reads at most 256 new pids, found ${first} members`);
      let looks = 1;
      await waitFor('all 301 members', () => {
        looks++;
        return table.members(new Set([pgid])).get(pgid)!.length === 301;
      });
      assert.ok(looks >= 2, 'the rest came at later looks');
    } finally {
      process.kill(-pgid, 'SIGKILL');
    }
  });

  it('adopts a group it did not spawn: members its looks passed before anyone asked are found', async () => {
    const table = new ProcessTable();
    const child = spawn('/bin/sh', ['-c', 'sleep 30 & sleep 30 & echo up; wait'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const pgid = child.pid!;
    try {
      await new Promise((r) => child.stdout!.once('data', r));
      // Looks for another group read the sleeps' pids and drop them: nobody tracks their group.
      for (let look = 0; look < 64; look++) table.members(new Set([process.pid]));
      const members = table.members(new Set([pgid])).get(pgid) ?? [];
      assert.equal(members.length, 3, `the shell and its two sleeps, found ${members.join(',')}`);
    } finally {
      process.kill(-pgid, 'SIGKILL');
    }
  });

  it('follows the pids across a wrap of the numbers: the top of the range, then on from the bottom', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 30 & echo up; wait'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const pgid = child.pid!;
    try {
      await new Promise((r) => child.stdout!.once('data', r));
      const pidMax = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'latin1'));
      // The table last looked just below the top; the kernel has since wrapped and handed out the group.
      let reported = pidMax - 5;
      const table = new ProcessTable({ lastPid: () => reported });
      table.track(pgid);
      reported = lastPid()!;
      // Up to pid_max / 256 looks: the span from the wrap to the group is read a share at a time.
      let members: number[] = [];
      for (let look = 0; look < 200 && members.length < 2; look++) members = table.members(new Set([pgid])).get(pgid) ?? [];
      assert.equal(members.length, 2, `the group and its sleep, read after the wrap: ${members.join(',')}`);
    } finally {
      process.kill(-pgid, 'SIGKILL');
    }
  });

  it('sums per-pid usage per group in millicores and bytes, from CPU ticks between two samples', () => {
    const st = (pid: number, pgid: number, cpuTicks: number, rssPages: number) => ({ pid, pgid, ppid: 1, state: 'S', cpuTicks, rssPages });
    const first = usageByGroup(new Map([[10, [st(10, 10, 100, 2)]]]), undefined, 0, 4096);
    assert.deepEqual(first.groups.get(10), { cpu: 0, memory: 8192 }, 'no rate yet on first sight');
    const members = new Map([
      [10, [st(10, 10, 150, 2), st(11, 10, 7, 1)]],
      [20, [st(20, 20, 0, 0)]],
    ]);
    const next = usageByGroup(members, first.memory, 2000, 4096);
    assert.deepEqual(next.groups.get(10), { cpu: 250, memory: 12288 }, '50 ticks in 2 s is a quarter of a core; pid 11 is new');
    assert.deepEqual(next.groups.get(20), { cpu: 0, memory: 0 });
    const third = usageByGroup(members, next.memory, 3000, 4096);
    assert.equal(third.groups.get(10)!.cpu, 0, 'no ticks since');
  });

  it('samples a busy group as busy and an idle one as idle', async () => {
    const busy = spawn('/bin/sh', ['-c', 'while :; do :; done'], { detached: true, stdio: 'ignore' });
    const idle = spawn('/bin/sh', ['-c', 'sleep 30'], { detached: true, stdio: 'ignore' });
    try {
      const s = new ResourceSampler();
      s.sample([busy.pid!, idle.pid!]);
      await sleep(500);
      const sample = s.sample([busy.pid!, idle.pid!]);
      assert.ok(sample.groups.get(busy.pid!)!.cpu > 200, `busy: ${sample.groups.get(busy.pid!)!.cpu}m`);
      assert.ok(sample.groups.get(idle.pid!)!.cpu < 50, `idle: ${sample.groups.get(idle.pid!)!.cpu}m`);
      assert.ok(sample.groups.get(idle.pid!)!.memory > 0);
      assert.ok(sample.self.memory > 0, 'the agent itself');
    } finally {
      process.kill(-busy.pid!, 'SIGKILL');
      process.kill(-idle.pid!, 'SIGKILL');
    }
  });

  it('a SIGTERM reaches a group that a chaos pause stopped, at once rather than after the pause', async () => {
    const registry = new GroupRegistry();
    // A server that handles SIGTERM, as http-echo does: a stopped process keeps such a signal
    // pending (only a signal whose default action kills is fatal to a stopped process at once).
    // It forks nothing, so its own state shows the stop (a shell in vfork would show D).
    const server = "process.on('SIGTERM', () => process.exit(7)); console.log('up'); setInterval(() => {}, 1000);";
    const g = ProcessGroup.spawn({ argv: [process.execPath, '-e', server], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, cwd: os.tmpdir() }, registry);
    try {
      await new Promise((r) => g.stdout.once('data', r));
      process.kill(-g.pid, 'SIGSTOP');
      await waitFor('the group to be stopped', () => readProcStat(g.pid)?.state === 'T');
      assert.equal(g.signal('SIGTERM'), true);
      let timer: NodeJS.Timeout | undefined;
      const exit = await Promise.race([
        g.exited,
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the stopped group never handled its SIGTERM')), 5000))),
      ]).finally(() => clearTimeout(timer));
      assert.equal(exit.exitCode, 7, 'its SIGTERM handler ran');
    } finally {
      g.signal('SIGKILL');
      await g.release();
    }
    assert.equal(registry.size, 0);
  });

  it('reports a signal as 128 + its number', () => {
    assert.equal(exitCodeOf(3, null), 3);
    assert.equal(exitCodeOf(null, 'SIGKILL'), 137);
    assert.equal(exitCodeOf(null, 'SIGTERM'), 143);
  });
});
