// No orphans: when the agent dies, however it dies, every process its pods started dies with it
// within a second; and the lifeline of one container is held by nobody but the agent.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCmdline } from '@kip/shared';
import { processesWithCwdUnder } from '@kip/agent';
import { Harness, makePod, pgidOf, pidAlive, pidOf, waitFor } from './harness.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/orphan-agent.js', import.meta.url));

function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const l = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (l.startsWith('socket:')) out.add(l);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // gone
  }
  return out;
}

describe('kubelet: no orphans', function () {
  this.timeout(30_000);

  it('kills every pod process, grandchildren included, within 1 s of the agent being SIGKILLed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kip-orphans-'));
    const agent = spawn(process.execPath, [FIXTURE, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let buf = '';
        const t = setTimeout(() => reject(new Error('the fixture agent did not report its pods running')), 15_000);
        agent.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          if (buf.includes('\n')) {
            clearTimeout(t);
            resolve(buf.slice(0, buf.indexOf('\n')));
          }
        });
        agent.once('exit', (code) => reject(new Error(`fixture agent exited early with ${String(code)}`)));
      });
      const { pids } = JSON.parse(line) as { pids: number[] };
      assert.equal(pids.length, 3);
      // Wait until the forker's whole family exists: 4 sleeps plus the inner sh.
      const procs = await waitFor('all pod processes', () => {
        const p = processesWithCwdUnder(dir);
        const sleeps = p.filter((pid) => /^sleep 100[1-4]/.test((readCmdline(pid) ?? []).join(' ')));
        return sleeps.length === 4 ? p : undefined;
      });
      for (const pid of pids) assert.ok(procs.includes(pid));
      assert.ok(procs.length >= 8, `expected containers, watchers and grandchildren, got ${procs.length}`);

      const killedAt = Date.now();
      agent.kill('SIGKILL');
      // A process leaving a mount namespace has no cwd any more but is not a zombie yet while the
      // kernel unmounts its sandbox: it counts as gone when its stat says so.
      await waitFor('every pod process to die', () => processesWithCwdUnder(dir).length === 0 && procs.every((pid) => !pidAlive(pid)), 3000, 10);
      const took = Date.now() - killedAt;
      assert.ok(took < 1000, `pods outlived their agent by ${took} ms`);
      for (const pid of procs) assert.equal(pidAlive(pid), false, `pid ${pid} survived`);
    } finally {
      if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
      await waitFor('fixture agent to exit', () => agent.exitCode !== null || agent.signalCode !== null);
      for (const pid of processesWithCwdUnder(dir)) process.kill(pid, 'SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no other container inherits a container lifeline, and the program itself does not hold fd 3', async () => {
    const h = new Harness();
    try {
      // a keeps a child around until told to exit; b starts after a.
      const a = makePod('life-a', [{ name: 'c', command: ['sh', '-c', 'sleep 1000 & echo $! > child.pid; while [ ! -f stop ]; do sleep 0.05; done'] }], {
        restartPolicy: 'Never',
      });
      h.kubelet.sync([a]);
      const sa = await h.waitStatus(a, 'running', (s) => !!s.containerStatuses?.[0]?.state.running);
      const b = makePod('life-b', [{ name: 'c', image: 'pause' }]);
      h.kubelet.sync([a, b]);
      const sb = await h.waitStatus(b, 'running', (s) => !!s.containerStatuses?.[0]?.state.running);
      const pidA = pidOf(sa.containerStatuses![0]!.containerID);
      const pidB = pidOf(sb.containerStatuses![0]!.containerID);
      const child = await waitFor('child pid', () => {
        const f = `${h.podDir(a)}/child.pid`;
        return fs.existsSync(f) && fs.readFileSync(f, 'utf8').trim() ? Number(fs.readFileSync(f, 'utf8')) : undefined;
      });
      // The agent's sockets (this process) are not shared with anything in b's group.
      const mine = socketInodes(process.pid);
      const groupB = processesWithCwdUnder(h.podDir(b)).filter((p) => pgidOf(p) === pidB);
      assert.ok(groupB.length >= 2, 'pause and its watcher');
      for (const p of groupB) for (const s of socketInodes(p)) assert.ok(!mine.has(s), `pid ${p} of another container holds agent socket ${s}`);
      // The program runs without the watcher's fd 3.
      assert.equal(fs.existsSync(`/proc/${pidA}/fd/3`), false);
      // a exits; its lifeline closes although b (started later) is still running, so its child dies.
      fs.writeFileSync(`${h.podDir(a)}/stop`, '');
      await h.waitStatus(a, 'Succeeded', (s) => s.phase === 'Succeeded');
      await waitFor("a's child to be killed", () => !pidAlive(child), 2000);
      assert.ok(pidAlive(pidB));
    } finally {
      await h.close();
    }
  });
});
