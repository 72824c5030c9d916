// Which processes are the cluster's, read from /proc, and which of them are orphans: a process
// whose working directory is under the data dir (a pod's, <data-dir>/nodes/<node>/pods/
// <ns>_<name>_<uid>/) must descend from the live agent of that node and belong to a pod that
// still exists. Anything else outlived its agent or its pod: the leak a killed node must not leave.
// (test/src/helpers/processes.ts finds processes under a dir for the tests; scripts cannot
// import from test/, and the soak also needs parents to tell a pod's process from an orphan.)

import path from 'node:path';
import { listPids, parseProcStat, readCmdline, readCwd, readProcStat } from '@kip/shared';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** the working directory, without the " (deleted)" the kernel adds once it is removed */
  cwd: string;
  cmdline: string;
}

export interface Orphan extends ProcessInfo {
  /** why it counts as one, in words */
  why: string;
}

/** "<pid> (<comm>) <state> <ppid> ...": the command may hold spaces and parentheses, so split after the last ")". */
export function parseStat(stat: string): { state: string; ppid: number } | undefined {
  const st = parseProcStat(0, stat);
  return st && { state: st.state, ppid: st.ppid };
}

/** Every live process this user can read (zombies left out: they run nothing and hold nothing). */
export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const pid of listPids()) {
    const st = readProcStat(pid);
    if (!st || st.state === 'Z' || st.state === 'X') continue;
    const cwd = (readCwd(pid) ?? '').replace(/ \(deleted\)$/, '');
    const argv = readCmdline(pid);
    if (argv === undefined) continue; // gone while we looked
    out.push({ pid, ppid: st.ppid, cwd, cmdline: argv.join(' ').trim() });
  }
  return out;
}

function isUnder(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith('/') ? dir : dir + '/');
}

/** Processes started from the data dir: in it (pods) or naming it on their command line (the cluster's own). */
export function processesUnder(procs: readonly ProcessInfo[], dir: string, self = process.pid): ProcessInfo[] {
  return procs.filter((p) => p.pid !== self && (isUnder(p.cwd, dir) || p.cmdline.includes(dir)));
}

/** The node and pod uid a pod directory names, from a path under the data dir. */
export function podOfDir(dataDir: string, cwd: string): { node: string; uid?: string } | undefined {
  if (!isUnder(cwd, dataDir)) return undefined;
  const parts = path.relative(dataDir, cwd).split(path.sep);
  if (parts[0] !== 'nodes' || !parts[1]) return undefined;
  // <namespace>_<name>_<uid>: neither a namespace nor a name holds "_", a uid neither
  const uid = parts[2] === 'pods' && parts[3] ? parts[3].split('_')[2] : undefined;
  return uid ? { node: parts[1], uid } : { node: parts[1] };
}

export interface OrphanContext {
  dataDir: string;
  /** pid -> node name of every agent process alive now */
  agents: ReadonlyMap<number, string>;
  /** uids of the pods that exist now (terminating ones included: they are still being stopped) */
  pods: ReadonlySet<string>;
}

/**
 * The processes in the data dir that belong to no live agent's pods: no live agent among their
 * ancestors, an agent of another node (a process cannot change parents that way, so that would
 * be a bug of its own), or a pod that no longer exists.
 */
export function findOrphans(procs: readonly ProcessInfo[], ctx: OrphanContext): Orphan[] {
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const agentOf = (p: ProcessInfo): { pid: number; node: string } | undefined => {
    const seen = new Set<number>();
    for (let pid = p.ppid; pid > 1 && !seen.has(pid); pid = byPid.get(pid)?.ppid ?? 0) {
      seen.add(pid);
      const node = ctx.agents.get(pid);
      if (node !== undefined) return { pid, node };
    }
    return undefined;
  };
  const out: Orphan[] = [];
  for (const p of procs) {
    const pod = podOfDir(ctx.dataDir, p.cwd);
    if (!pod || ctx.agents.has(p.pid)) continue;
    const agent = agentOf(p);
    let why: string | undefined;
    if (!agent) why = `no live agent among its parents (its directory is node ${pod.node}'s)`;
    else if (agent.node !== pod.node) why = `its directory is node ${pod.node}'s but its agent is ${agent.node}'s (pid ${agent.pid})`;
    else if (pod.uid !== undefined && !ctx.pods.has(pod.uid))
      why = `its pod (uid ${pod.uid}) no longer exists, yet agent ${agent.node} (pid ${agent.pid}) still runs it`;
    if (why) out.push({ ...p, why });
  }
  return out;
}
