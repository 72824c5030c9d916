// Ending a pause early: a paused agent is stopped and cannot be told anything, so the control
// plane, which runs on the same machine as its agents, finds the pause's resumer process by the
// agent's pid and sends it SIGCONT; the resumer then continues the agent and its pods at once
// (see shared/src/chaos/resumer.ts).

import { isResumerOf, listPids, readCmdline } from '@kip/shared';

/** The pids of the resumers serving the agent `agentPid`. */
export function resumersOf(agentPid: number): number[] {
  return listPids().filter((pid) => {
    const argv = readCmdline(pid);
    return argv !== undefined && isResumerOf(argv, agentPid);
  });
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
