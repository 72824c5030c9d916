// Whether a node's agent process has exited, when it runs on this host. A kip node is its agent
// process: when that process is gone, so is every process of its pods (their lifelines end with
// it), and the node is known to be down, as a cloud provider knows that a VM is gone. An agent on
// another host cannot be seen from here; its node is judged by its heartbeats alone.

import { readFileSync } from 'node:fs';

/** True if the address is this host's loopback, where the agents kip's launcher starts connect from. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * True once the process `pid` is no longer the agent of `nodeName`: it has exited (no such
 * process, or a zombie waiting to be reaped), or the pid now belongs to another program.
 */
export function agentExited(pid: number, nodeName: string, procRoot = '/proc'): boolean {
  let stat: string;
  let cmdline: string;
  try {
    stat = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
    cmdline = readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8');
  } catch {
    return true;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (state === 'Z' || state === 'X') return true;
  // The agent names itself "kip-agent NODE" (process.title); before it does, its argv says --name NODE.
  const args = cmdline.split('\0');
  const named = args[0] === `kip-agent ${nodeName}` || args.some((a, i) => a === '--name' && args[i + 1] === nodeName);
  return !named;
}
