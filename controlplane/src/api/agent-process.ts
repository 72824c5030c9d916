// Whether a node's agent process has exited, when it runs on this host. A kip node is its agent
// process: when that process is gone, so is every process of its pods (their lifelines end with
// it), and the node is known to be down, as a cloud provider knows that a VM is gone. An agent on
// another host cannot be seen from here; its node is judged by its heartbeats alone.

import { readCmdline, readProcStat } from '@kip/shared';

/** True if the address is this host's loopback, where the agents kip's launcher starts connect from. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * True once the process `pid` is no longer the agent of `nodeName`: it has exited (no such
 * process, or a zombie waiting to be reaped), or the pid now belongs to another program.
 */
export function agentExited(pid: number, nodeName: string): boolean {
  const stat = readProcStat(pid);
  const args = readCmdline(pid);
  if (!stat || !args) return true;
  if (stat.state === 'Z' || stat.state === 'X') return true;
  // The agent names itself "kip-agent NODE" (process.title); before it does, its argv says --name NODE.
  const named = args[0] === `kip-agent ${nodeName}` || args.some((a, i) => a === '--name' && args[i + 1] === nodeName);
  return !named;
}
