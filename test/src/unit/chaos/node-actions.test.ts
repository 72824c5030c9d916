// Node actions as the agent carries them out on itself, tried on a stand-in "agent" process with
// a pod group of its own: pause stops both and a detached resumer continues them after the
// duration, then ends; restart leaves its request for the supervisor; kill is one SIGKILL.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, parseRestartRequest, RESTART_REQUEST_FILE, resumerArgs, resumerScript, type EventRecord } from '@kip/shared';
import { performNodeAction, podGroups } from '@kip/agent';
import { resumeNow, resumersOf } from '@kip/controlplane';
import { readProcStat } from '@kip/agent';
import { eventually, isAlive } from '../../helpers/wait.js';

const log = createLogger('test', 'error');
const state = (pid: number) => readProcStat(pid)?.state;

describe('chaos: node actions', function () {
  this.timeout(20_000);
  let dir: string;
  let agent: ChildProcess | undefined;
  /** the stand-in agent's pod group, if a test started one */
  let pod: number | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kip-chaos-'));
  });

  afterEach(async () => {
    if (pod !== undefined) {
      try {
        process.kill(-pod, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (agent?.pid && isAlive(agent.pid)) {
      agent.kill('SIGKILL');
      await eventually('the stand-in agent to exit', () => agent!.exitCode !== null || agent!.signalCode !== null);
    }
    agent = undefined;
    pod = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a resumer that waits out the duration or the agent, continues each process on its own, then ends', () => {
    const script = resumerScript(2500, 42, [11, 12, 99]);
    assert.match(script, /\+ 250\)\)/, 'the duration in centiseconds of uptime');
    assert.match(script, /\/proc\/42\/stat/, 'it watches the agent');
    assert.match(script, /for p in 11 12 99; do kill -s CONT "\$p" 2>\/dev\/null; done; exit 0$/);
  });

  it('the resumer ends after the duration, and at once when the agent is already gone', async () => {
    const run = async (durationMs: number, agentPid: number): Promise<number> => {
      const started = performance.now();
      const sh = spawn('/bin/sh', resumerArgs(durationMs, agentPid, []), { stdio: 'ignore' });
      const code = await new Promise<number | null>((resolve) => sh.once('exit', resolve));
      assert.equal(code, 0);
      return performance.now() - started;
    };
    assert.ok((await run(600, process.pid)) >= 600, 'waits out the duration while the agent lives');
    assert.ok((await run(60_000, 2 ** 22 + 1)) < 10_000, 'does not wait for an agent that is gone');
  });

  /** A stand-in agent: a shell with one "pod", a child leading its own process group (as the kubelet starts them). */
  async function startStandIn(): Promise<{ pid: number; pod: number }> {
    agent = spawn('/bin/sh', ['-c', 'setsid sleep 60 & wait'], { stdio: 'ignore' });
    const pid = agent.pid!;
    pod = (
      await eventually('the pod group to start', () => {
        const g = podGroups(pid);
        return g.length === 1 ? g : undefined;
      })
    )[0]!;
    return { pid, pod };
  }

  /** Pauses the stand-in and waits until it and its pod are stopped (SIGSTOP lands a moment later). */
  async function pause(pid: number, podPid: number, durationMs: number): Promise<void> {
    await performNodeAction(
      { type: 'nodeAction', action: 'pause', chaos: 'default/p', durationMs },
      { nodeName: 'node-1', nodeDir: dir, log, event: () => undefined, pid },
    );
    await eventually('the agent and its pod to be stopped', () => state(pid) === 'T' && state(podPid) === 'T', { timeoutMs: 2000, intervalMs: 10 });
  }

  it('pause stops the agent and its pod groups and a resumer continues them after the duration', async () => {
    const { pid, pod } = await startStandIn();
    await pause(pid, pod, 2500);
    await eventually('both to continue after the duration', () => state(pid) !== 'T' && state(pod) !== 'T', { timeoutMs: 5000, intervalMs: 50 });
    assert.ok(isAlive(pid) && isAlive(pod), 'nothing was killed');
  });

  it('a paused agent that is SIGKILLed does not leave its pods frozen: the resumer continues them at once', async () => {
    const { pid, pod } = await startStandIn();
    await pause(pid, pod, 300_000);
    agent!.kill('SIGKILL');
    await eventually('the agent to be gone', () => agent!.signalCode !== null);
    // Well inside the five-minute pause: the pod runs again and can be ended by its lifeline.
    await eventually('the pod to continue', () => state(pod) !== 'T', { timeoutMs: 5000, intervalMs: 50 });
  });

  it('deleting the pause ends it early: the control plane finds the resumer by the agent pid and it continues both at once', async () => {
    const { pid, pod } = await startStandIn();
    await pause(pid, pod, 300_000);
    const resumers = await eventually('the resumer to be found by its agent pid', () => {
      const r = resumersOf(pid);
      return r.length === 1 ? r : undefined;
    });
    assert.deepEqual(resumersOf(process.pid), [], 'no resumer serves another agent');
    assert.equal(resumeNow(pid), 1);
    await eventually('both to continue long before the pause would end', () => state(pid) !== 'T' && state(pod) !== 'T', { timeoutMs: 5000, intervalMs: 50 });
    await eventually('the resumer to end', () => !isAlive(resumers[0]!), { timeoutMs: 5000 });
    assert.ok(isAlive(pid) && isAlive(pod), 'nothing was killed');
  });

  it('restart leaves a request for whoever started the agent, then kills it', async () => {
    const signals: [number, string][] = [];
    await performNodeAction(
      { type: 'nodeAction', action: 'restart', chaos: 'default/r', restartDelayMs: 1500 },
      { nodeName: 'node-1', nodeDir: dir, log, event: () => undefined, pid: 4242, supervisor: 'a test', signal: (p, s) => signals.push([p, s]) },
    );
    const req = parseRestartRequest(readFileSync(path.join(dir, RESTART_REQUEST_FILE), 'utf8'));
    assert.equal(req.delayMs, 1500);
    assert.equal(req.chaos, 'default/r');
    assert.deepEqual(signals, [[4242, 'SIGKILL']]);
  });

  it('restart of an agent started by hand says nobody will start it again', async () => {
    const events: EventRecord[] = [];
    const signals: string[] = [];
    await performNodeAction(
      { type: 'nodeAction', action: 'restart', chaos: 'default/r' },
      { nodeName: 'node-1', nodeDir: dir, log, event: (e) => events.push(e), pid: 4242, supervisor: '', signal: (_p, s) => signals.push(s) },
    );
    assert.equal(events[0]?.reason, 'ChaosRestartUnsupervised');
    assert.match(events[0]!.message, /started by hand: nothing will start it again/);
    assert.deepEqual(signals, ['SIGKILL']);
  });

  it('kill is a SIGKILL to the agent itself', async () => {
    const signals: [number, string][] = [];
    await performNodeAction(
      { type: 'nodeAction', action: 'kill', chaos: 'default/k' },
      { nodeName: 'node-1', nodeDir: dir, log, event: () => undefined, pid: 77, signal: (p, s) => signals.push([p, s]) },
    );
    assert.deepEqual(signals, [[77, 'SIGKILL']]);
  });
});
