// Node faults, carried out by the agent on itself.
//
//  kill     SIGKILL to itself: its pods die with it through their watchers' lifelines, as on a
//           machine that lost power.
//  pause    a gray failure: the agent and every pod group are stopped (SIGSTOP) for the duration.
//           A stopped agent cannot resume itself, so first it starts a small detached resumer
//           (shared/src/chaos/resumer.ts) that continues the pods and the agent after D, as soon
//           as the agent dies if it is killed meanwhile, or when the control plane ends the pause
//           early, and then ends; nothing is closed, heartbeats just stop.
//  restart  the agent leaves a restart request (<node dir>/restart-after) and SIGKILLs itself;
//           whoever started it (kip's launcher, a test cluster) starts it again under the same
//           name after the delay. An agent started by hand has nobody to do that: it says so
//           in an event, and dies all the same.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_RESTART_DELAY_MS, RESTART_REQUEST_FILE, resumerArgs, SUPERVISOR_ENV, type EventRecord, type Logger, type NodeAction, type RestartRequest } from '@kip/shared';
import { groupMembers, listProcesses } from '../kubelet/proc.js';

export interface NodeActionDeps {
  nodeName: string;
  /** <data-dir>/nodes/<node> */
  nodeDir: string;
  log: Logger;
  /** sends an event about this node to the control plane */
  event(ev: EventRecord): void;
  /** who restarts this agent on request, if anyone (default: $KIP_AGENT_SUPERVISOR) */
  supervisor?: string;
  /** the agent's pid (default: this process) */
  pid?: number;
  /** signals a process; tests replace it (default: process.kill) */
  signal?: (pid: number, signal: NodeJS.Signals) => void;
}

/** The process groups of this agent's pods: its children that lead their own group. */
export function podGroups(agentPid: number): number[] {
  return listProcesses()
    .filter((p) => p.ppid === agentPid && p.pgid === p.pid && p.state !== 'Z')
    .map((p) => p.pid)
    .sort((a, b) => a - b);
}

function nodeEvent(deps: NodeActionDeps, reason: string, message: string, type: EventRecord['type'] = 'Normal'): void {
  deps.event({ involvedObject: { kind: 'Node', name: deps.nodeName }, reason, message, type });
}

/** Carries out a node action. kill and restart do not return (the process is gone). */
export async function performNodeAction(msg: NodeAction, deps: NodeActionDeps): Promise<void> {
  const pid = deps.pid ?? process.pid;
  const signal = deps.signal ?? ((p, s) => process.kill(p, s));
  const { log } = deps;
  switch (msg.action) {
    case 'kill':
      log.warn(`killed by chaos ${msg.chaos}: SIGKILL`, { node: deps.nodeName });
      signal(pid, 'SIGKILL');
      return;
    case 'restart': {
      const delayMs = msg.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
      const request: RestartRequest = { delayMs, chaos: msg.chaos, requestedAt: Date.now() };
      writeFileSync(path.join(deps.nodeDir, RESTART_REQUEST_FILE), JSON.stringify(request) + '\n');
      const supervisor = deps.supervisor ?? process.env[SUPERVISOR_ENV];
      if (!supervisor) {
        const why = `restart requested by chaos ${msg.chaos}, but this agent was started by hand: nothing will start it again; start it yourself, or run nodes with kip's launcher (npm run cluster)`;
        log.warn(why, { node: deps.nodeName });
        nodeEvent(deps, 'ChaosRestartUnsupervised', why, 'Warning');
        // A moment for the event to leave before the process goes.
        await new Promise((r) => setTimeout(r, 300));
      } else {
        log.warn(`restart requested by chaos ${msg.chaos}: stopping now; ${supervisor} starts this node again in ${delayMs} ms`, { node: deps.nodeName });
      }
      signal(pid, 'SIGKILL');
      return;
    }
    case 'pause': {
      const durationMs = msg.durationMs ?? 0;
      // The pods are listed before the resumer exists: it is a child of the agent with a group of its own.
      const groups = podGroups(pid);
      const members = [...groupMembers(new Set(groups)).values()].flat();
      const resumer = spawn('/bin/sh', resumerArgs(durationMs, pid, [...members, pid]), { detached: true, stdio: 'ignore', cwd: '/' });
      await new Promise<void>((resolve, reject) => {
        resumer.once('spawn', () => resolve());
        resumer.once('error', reject);
      });
      resumer.unref();
      // An agent continued early and ending on its own (its launcher stopping the cluster) takes
      // its pods down itself, so nothing is left to resume: the resumer goes with it instead of
      // sleeping on. An agent that is SIGKILLed runs no exit hook: the resumer sees it gone within
      // a tick and continues the frozen pods at once, whose watchers then end them.
      const stopResumer = () => {
        try {
          process.kill(-resumer.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      process.once('exit', stopResumer);
      resumer.once('exit', () => process.off('exit', stopResumer));
      log.warn(`paused by chaos ${msg.chaos} for ${durationMs} ms: stopping ${groups.length} pod group(s) and the agent`, { node: deps.nodeName, resumer: resumer.pid });
      for (const g of groups) {
        try {
          signal(-g, 'SIGSTOP');
        } catch {
          // the pod ended meanwhile
        }
      }
      signal(pid, 'SIGSTOP');
      return;
    }
  }
}
