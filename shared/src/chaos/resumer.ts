// The resumer of a paused node: a few lines of sh that a node's agent starts, detached, before it
// stops itself and its pods (NodeChaos pause), because a stopped agent cannot continue itself.
// It continues them when the pause's duration ends, when the agent dies meanwhile (its pods must
// not stay frozen for the rest of the pause: continued, their lifelines end them), or at once
// when it gets a SIGCONT: that is how deleting the pause object ends it early. SIGCONT is the
// signal because its default action is harmless: one that arrives before the trap is set leaves
// the pause to run its course instead of killing the only process that can end it.
//
// Its argv names it and the agent it serves (`sh -c SCRIPT kip-chaos-resumer AGENT_PID`), so that
// the control plane, on the same machine, can find it by the agent's pid.

/** argv[0] of the script, as ps shows it. */
export const RESUMER_PROCESS_NAME = 'kip-chaos-resumer';

/** How often the resumer looks whether the agent is still there. */
const RESUMER_TICK_SECONDS = 0.2;

/**
 * The script. Time comes from /proc/uptime in centiseconds and the agent's state from
 * /proc/PID/stat, both read with the shell's own `read`, so the wait does not drift by a fork per
 * tick. Processes are continued one by one, not by group: dash's kill builtin takes no negative
 * pids, a pid gone by then must not stop the others, and nothing new joins a stopped group.
 */
export function resumerScript(durationMs: number, agentPid: number, pids: readonly number[]): string {
  const centis = Math.ceil(Math.max(0, durationMs) / 10);
  return [
    `trap 'end=0' CONT`,
    `read -r u _ </proc/uptime; end=$((\${u%.*}\${u#*.} + ${centis}))`,
    `while read -r u _ </proc/uptime && [ "\${u%.*}\${u#*.}" -lt "$end" ]; do s=; read -r s 2>/dev/null </proc/${agentPid}/stat; case "\${s##*) }" in ''|Z*|X*) break;; esac; sleep ${RESUMER_TICK_SECONDS}; done`,
    `for p in ${pids.join(' ')}; do kill -s CONT "$p" 2>/dev/null; done; exit 0`,
  ].join('; ');
}

/** The arguments of /bin/sh for the resumer of the agent `agentPid`. */
export function resumerArgs(durationMs: number, agentPid: number, pids: readonly number[]): string[] {
  return ['-c', resumerScript(durationMs, agentPid, pids), RESUMER_PROCESS_NAME, String(agentPid)];
}

/** True for the argv (as /proc/PID/cmdline holds it) of a resumer serving `agentPid`. */
export function isResumerOf(argv: readonly string[], agentPid: number): boolean {
  return argv.length === 5 && argv[1] === '-c' && argv[3] === RESUMER_PROCESS_NAME && argv[4] === String(agentPid);
}
