import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { groupGone, groupMembers, parseProcStat, readProcStat } from '@kip/agent/kubelet/proc';
import { sumByGroup } from '@kip/agent/kubelet/resource-sampler';
import os from 'node:os';
import { GroupRegistry, ProcessGroup, exitCodeOf } from '@kip/agent/kubelet/process-group';
import { waitFor } from './harness.js';

describe('kubelet /proc and resource sums', () => {
  it('parses /proc/<pid>/stat, names with spaces and parentheses included', () => {
    assert.deepEqual(parseProcStat(42, '42 (my (odd) name) S 1 42 42 0 -1'), { pid: 42, state: 'S', ppid: 1, pgid: 42 });
    assert.equal(parseProcStat(1, 'garbage'), undefined);
    const me = readProcStat(process.pid)!;
    assert.equal(me.pid, process.pid);
    assert.equal(me.ppid, process.ppid);
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

  it('sums per-pid usage per group in millicores and bytes', () => {
    const members = new Map([
      [10, [10, 11]],
      [20, [20]],
    ]);
    const sums = sumByGroup(members, { 10: { cpu: 12.5, memory: 1000 }, 11: { cpu: 50, memory: 500 }, 20: undefined });
    assert.deepEqual(sums.get(10), { cpu: 625, memory: 1500 });
    assert.deepEqual(sums.get(20), { cpu: 0, memory: 0 });
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
