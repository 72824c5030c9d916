// What Linux's /proc says about processes: which belong to a process group, and whether a group
// has any live member left. A container is a process group, so its usage and its death are
// questions about every member of the group, not just the process the agent started.

import fs from 'node:fs';

export interface ProcStat {
  pid: number;
  /** One letter: R running, S sleeping, Z zombie, ... */
  state: string;
  ppid: number;
  pgid: number;
  /** CPU time used, user and system, in clock ticks (USER_HZ: 100 a second) */
  cpuTicks?: number;
  /** resident set size, in pages */
  rssPages?: number;
}

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so fields start after the last ')'. */
export function parseProcStat(pid: number, text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  const ppid = Number(f[1]);
  const pgid = Number(f[2]);
  if (!f[0] || !Number.isInteger(ppid) || !Number.isInteger(pgid)) return undefined;
  const st: ProcStat = { pid, state: f[0], ppid, pgid };
  // Fields 14, 15 (utime, stime) and 24 (rss) of proc(5), counted from the state's 3.
  const ticks = Number(f[11]) + Number(f[12]);
  const rss = Number(f[21]);
  if (Number.isFinite(ticks)) st.cpuTicks = ticks;
  if (Number.isFinite(rss)) st.rssPages = rss;
  return st;
}

/** One buffer for every stat read: a stat line is a few hundred bytes, and agents read thousands. */
const statBuffer = Buffer.alloc(4096);

export function readProcStat(pid: number): ProcStat | undefined {
  let fd: number | undefined;
  try {
    // open, read, close: readFileSync would also fstat and allocate, for a file the kernel sizes as 0.
    fd = fs.openSync(`/proc/${pid}/stat`, 'r');
    const n = fs.readSync(fd, statBuffer, 0, statBuffer.length, 0);
    return parseProcStat(pid, statBuffer.toString('latin1', 0, n));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Every process on the machine, as /proc lists it now. */
export function listProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    const c = e.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const st = readProcStat(Number(e));
    if (st) out.push(st);
  }
  return out;
}

/** How many new processes one listing of /proc reads the stat of, at most. */
const MAX_NEW_READS = 256;

/** The pid the kernel handed out last (the last field of /proc/loadavg), or undefined. */
export function lastPid(): number | undefined {
  try {
    const text = fs.readFileSync('/proc/loadavg', 'utf8');
    const n = Number(text.slice(text.lastIndexOf(' ') + 1));
    return Number.isInteger(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A cached view of /proc: the process group of every pid. A whole scan reads one stat file per
 * process on the machine; a hundred agents each doing that every second is most of two cores. So
 * /proc is listed again only when the kernel has started a process since the last look, the stat
 * of new pids only is read, and only the members of the groups asked about are read again (to see
 * zombies, and a process that left its group). A process that exits is seen when its members are
 * read, or at the next listing.
 */
export class ProcessTable {
  /** pid -> its group, and the listing that last saw it */
  private readonly entries = new Map<number, { pgid: number; seen: number }>();
  /** pgid -> pids, so that a group's members are found without going through every process */
  private readonly byGroup = new Map<number, Set<number>>();
  private generation = 0;
  private listedAfterPid: number | undefined;

  /** The pids of the live members of each of the given groups. */
  members(pgids: ReadonlySet<number>): Map<number, number[]> {
    const out = new Map<number, number[]>();
    for (const [pgid, stats] of this.memberStats(pgids)) out.set(pgid, stats.map((s) => s.pid));
    return out;
  }

  /**
   * The live (non-zombie) members of each of the given groups, as their stat reads now. Zombies
   * are ignored: they hold no resources, and where PID 1 does not reap orphans they stay forever.
   * With `discover` false, /proc is not listed: the members known already are read again (the
   * group's leader, whose pid is the group's, is always known), and children forked since the
   * last listing are found at the next one. Listing costs a read of every new process on the
   * machine, so a hundred agents listing every second through a burst of pods is most of the
   * burst's cost.
   */
  memberStats(pgids: ReadonlySet<number>, discover = true): Map<number, ProcStat[]> {
    const members = new Map<number, ProcStat[]>();
    if (pgids.size === 0) return members;
    if (discover) this.refresh();
    for (const pgid of pgids) {
      if (!this.byGroup.has(pgid)) {
        const leader = readProcStat(pgid);
        if (leader?.pgid === pgid) this.set(pgid, pgid, this.generation);
      }
      for (const pid of [...(this.byGroup.get(pgid) ?? [])]) {
        const st = readProcStat(pid);
        if (!st) {
          this.forget(pid);
          continue;
        }
        if (st.pgid !== pgid) this.set(pid, st.pgid, this.entries.get(pid)!.seen);
        if (st.state === 'Z' || st.state === 'X' || !pgids.has(st.pgid)) continue;
        let list = members.get(st.pgid);
        if (!list) members.set(st.pgid, (list = []));
        if (!list.some((m) => m.pid === pid)) list.push(st);
      }
    }
    return members;
  }

  private set(pid: number, pgid: number, seen: number): void {
    this.forget(pid);
    this.entries.set(pid, { pgid, seen });
    let group = this.byGroup.get(pgid);
    if (!group) this.byGroup.set(pgid, (group = new Set()));
    group.add(pid);
  }

  private forget(pid: number): void {
    const e = this.entries.get(pid);
    if (!e) return;
    this.entries.delete(pid);
    const group = this.byGroup.get(e.pgid);
    group?.delete(pid);
    if (group?.size === 0) this.byGroup.delete(e.pgid);
  }

  private refresh(): void {
    const last = lastPid();
    if (last !== undefined && last === this.listedAfterPid) return;
    let listing: string[];
    try {
      listing = fs.readdirSync('/proc');
    } catch {
      return;
    }
    const gen = ++this.generation;
    // A burst of pods starts thousands of processes between two looks; reading them all at once
    // would hold a starved agent for seconds, so each look reads a bounded share and the next
    // look goes on from there.
    let budget = MAX_NEW_READS;
    for (const e of listing) {
      const c = e.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(e);
      const known = this.entries.get(pid);
      if (known) {
        known.seen = gen;
        continue;
      }
      if (budget-- <= 0) continue;
      const st = readProcStat(pid);
      if (st) this.set(pid, st.pgid, gen);
    }
    if (budget >= 0) this.listedAfterPid = last;
    for (const [pid, entry] of this.entries) if (entry.seen !== gen) this.forget(pid);
  }
}

/** One table per process: the kubelet's sampler and reaper share what it has read. */
export const processTable = new ProcessTable();

/** The live (non-zombie) members of each of the given groups. */
export function groupMembers(pgids: ReadonlySet<number>): Map<number, number[]> {
  return processTable.members(pgids);
}

/** True if no process of the group exists at all, not even a zombie: no /proc read needed. */
function groupVanished(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch {
    return true; // ESRCH
  }
}

/** True if no live process is left in the group. */
export function groupGone(pgid: number): boolean {
  return groupVanished(pgid) || !groupMembers(new Set([pgid])).has(pgid);
}

/** Sends a signal to every process of a group; false if the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

interface Waiter {
  pgid: number;
  resolve: () => void;
  since: number;
  killedAgain: boolean;
}

/** The reaper looks again after this, doubling while groups linger, up to POLL_MAX_MS. */
const POLL_MS = 20;
const POLL_MAX_MS = 200;
/** A group still alive this long after its watcher was told to kill it gets SIGKILL from the agent itself. */
const STRAGGLER_MS = 1000;

/**
 * Waits for process groups to empty. All waiters share one /proc scan per tick, so that a node
 * stopping a hundred pods at once does not scan /proc a hundred times.
 */
class GroupReaper {
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pollMs = POLL_MS;

  waitGone(pgid: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ pgid, resolve, since: Date.now(), killedAgain: false });
      this.pollMs = POLL_MS;
      this.schedule(0);
    });
  }

  private schedule(ms: number): void {
    if (this.timer || this.waiters.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.scan();
    }, ms);
  }

  private scan(): void {
    // Most groups are gone without a trace by now; /proc is read only for those that are not.
    const lingering = new Set(this.waiters.filter((w) => !groupVanished(w.pgid)).map((w) => w.pgid));
    const alive = groupMembers(lingering);
    const now = Date.now();
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (!alive.has(w.pgid)) {
        w.resolve();
        continue;
      }
      if (!w.killedAgain && now - w.since > STRAGGLER_MS) {
        w.killedAgain = true;
        signalGroup(w.pgid, 'SIGKILL');
      }
      still.push(w);
    }
    this.waiters = still;
    this.pollMs = Math.min(POLL_MAX_MS, this.pollMs * 2);
    this.schedule(this.pollMs);
  }
}

export const groupReaper = new GroupReaper();

/** The pids whose current directory is dir or below it (zombies have none). */
export function processesWithCwdUnder(dir: string): number[] {
  const out: number[] = [];
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  for (const p of listProcesses()) {
    if (p.state === 'Z') continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${p.pid}/cwd`);
      if (cwd === dir || cwd.startsWith(prefix)) out.push(p.pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}
