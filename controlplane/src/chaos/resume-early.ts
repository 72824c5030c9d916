// Ending a pause early: a paused agent is stopped and cannot be told anything, so the control
// plane, which runs on the same machine as its agents, finds the pause's resumer process by the
// agent's pid and sends it SIGCONT; the resumer then continues the agent and its pods at once
// (see shared/src/chaos/resumer.ts).

import fs from 'node:fs';
import { isResumerOf } from '@kip/shared';

function argvOf(pid: number): string[] | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.endsWith('\0') ? raw.slice(0, -1).split('\0') : raw.split('\0');
  } catch {
    return undefined; // gone meanwhile, or not ours to read
  }
}

/** The pids of the resumers serving the agent `agentPid`. */
export function resumersOf(agentPid: number): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const argv = argvOf(Number(e));
    if (argv && isResumerOf(argv, agentPid)) out.push(Number(e));
  }
  return out;
}

/** Tells the resumers of `agentPid` to continue it now; how many were told. */
export function resumeNow(agentPid: number): number {
  let told = 0;
  for (const pid of resumersOf(agentPid)) {
    try {
      process.kill(pid, 'SIGCONT');
      told++;
    } catch {
      // it ended meanwhile: the pause is over anyway
    }
  }
  return told;
}
