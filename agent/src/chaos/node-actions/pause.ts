// pause: a gray failure. The agent and every pod group are stopped (SIGSTOP) for the duration. A
// stopped agent cannot resume itself, so first it starts a small detached resumer
// (shared/src/chaos/resumer.ts) that continues the pods and the agent after D, as soon as the
// agent dies if it is killed meanwhile, or when the control plane ends the pause early, and then
// ends; nothing is closed, heartbeats just stop.

import { spawn } from 'node:child_process';
import { resumerArgs } from '@kip/shared';
import { groupMembers } from '../../kubelet/proc.js';
import { podGroups, type NodeActionHandler } from './handler.js';

export const pause: NodeActionHandler = async (msg, { log, nodeName, pid, signal }) => {
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
  log.warn(`paused by chaos ${msg.chaos} for ${durationMs} ms: stopping ${groups.length} pod group(s) and the agent`, { node: nodeName, resumer: resumer.pid });
  for (const g of groups) {
    try {
      signal(-g, 'SIGSTOP');
    } catch {
      // the pod ended meanwhile
    }
  }
  signal(pid, 'SIGSTOP');
};
