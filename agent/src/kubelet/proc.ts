// What Linux's /proc says about processes: which belong to a process group, and whether a group
// has any live member left. A container is a process group, so its usage and its death are
// questions about every member of the group, not just the process the agent started.

import fs from 'node:fs';
import { lastPid, listProcesses, parseProcStat, readCwd, readProcStat, readTgid, type ProcStat } from '@kip/shared';

// The readers live in shared, for every program that reads /proc; the kubelet's callers import them from here.
export { lastPid, listProcesses, parseProcStat, readProcStat, type ProcStat };

/** How many of the pids handed out since the last look one look reads, at most. */
const MAX_NEW_READS = 256;

/** Where the kernel starts again when pids wrap (RESERVED_PIDS): the pids below are the boot's. */
const FIRST_PID_AFTER_WRAP = 300;

/** A group nobody has asked about for this long is let go (its container is long gone). */
const FORGET_GROUP_AFTER_MS = 60_000;

let cachedPidMax: number | undefined;

/** The largest pid the kernel hands out (/proc/sys/kernel/pid_max; 32768 when unreadable). */
function pidMax(): number {
  if (cachedPidMax === undefined) {
    try {
      cachedPidMax = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'latin1').trim()) || 32_768;
    } catch {
      cachedPidMax = 32_768;
    }
  }
  return cachedPidMax;
}

/**
 * A cached view of /proc: the members of the process groups this agent runs. A group's members
 * are found by their pgid, which is the only way to see the processes a container forks even once
 * their parent is gone. The kernel hands out pids in order, so the processes new since the last
 * look are those between the last pid read and the last one handed out: they are read by number,
 * a bounded share per look after a burst (each read is an open of /proc/N/stat). /proc is listed
 * only for a group the agent did not spawn: a listing costs about 5 ms with 3,000 processes on the
 * machine, and after a burst of pods a hundred agents listing once a minute, and keeping every
 * process of the machine, doubled a cluster's idle CPU for minutes. Only the members of tracked
 * groups are kept: the agent tracks each group as it spawns it, before any look can pass the pids
 * of its children. Other agents' processes are read once and dropped, and the members kept are
 * read again at every look, which is when those that exited are forgotten.
 */
export class ProcessTable {
  /** pid -> its group, for the members of tracked groups */
  private readonly entries = new Map<number, number>();
  /** pgid -> pids, so that a group's members are found without going through every process */
  private readonly byGroup = new Map<number, Set<number>>();
  /** tracked pgid -> when it was last tracked or asked about (Date.now()) */
  private readonly tracked = new Map<number, number>();
  /** every pid handed out up to this one, in the kernel's cyclic order, has been read */
  private readAfterPid: number | undefined;
  private readonly lastPid: () => number | undefined;

  /** `lastPid` replaces the kernel's, for tests of the numbers wrapping. */
  constructor(opts: { lastPid?: () => number | undefined } = {}) {
    this.lastPid = opts.lastPid ?? lastPid;
    this.readAfterPid = this.lastPid();
  }

  /**
   * Keeps the members of a group from now on: called as it is spawned, before any look, so that
   * every process it forks is read while the group is tracked.
   */
  track(pgid: number): void {
    this.tracked.set(pgid, Date.now());
  }

  /** The pids of the live members of each of the given groups. */
  members(pgids: ReadonlySet<number>): Map<number, number[]> {
    const out = new Map<number, number[]>();
    for (const [pgid, stats] of this.memberStats(pgids))
      out.set(
        pgid,
        stats.map((s) => s.pid),
      );
    return out;
  }

  /**
   * The live (non-zombie) members of each of the given groups, as their stat reads now. Zombies
   * are ignored: they hold no resources, and where PID 1 does not reap orphans they stay forever.
   * With `discover` false, the pids handed out since the last look are not read: the members
   * known already are read again (the group's leader, whose pid is the group's, is always known),
   * and children forked since are found at the next look.
   */
  memberStats(pgids: ReadonlySet<number>, discover = true): Map<number, ProcStat[]> {
    const members = new Map<number, ProcStat[]>();
    if (pgids.size === 0) return members;
    const now = Date.now();
    for (const pgid of pgids) {
      if (this.tracked.has(pgid)) this.tracked.set(pgid, now);
      else this.adopt(pgid, now);
    }
    if (discover) this.refresh(now);
    for (const pgid of pgids) {
      if (!this.byGroup.has(pgid)) {
        const leader = readProcStat(pgid);
        if (leader?.pgid === pgid) this.set(pgid, pgid);
      }
      for (const pid of [...(this.byGroup.get(pgid) ?? [])]) {
        const st = readProcStat(pid);
        if (!st || !this.tracked.has(st.pgid)) {
          this.forget(pid); // gone, or it left for a group nobody runs
          continue;
        }
        if (st.pgid !== pgid) this.set(pid, st.pgid);
        if (st.state === 'Z' || st.state === 'X' || !pgids.has(st.pgid)) continue;
        let list = members.get(st.pgid);
        if (!list) members.set(st.pgid, (list = []));
        if (!list.some((m) => m.pid === pid)) list.push(st);
      }
    }
    return members;
  }

  /**
   * A group asked about that was not tracked (spawned by someone else, or let go): the looks may
   * have read its members already and dropped them, so every process is read once, now. The
   * kubelet tracks what it spawns, so this is rare.
   */
  private adopt(pgid: number, now: number): void {
    this.tracked.set(pgid, now);
    for (const st of listProcesses()) if (st.pgid === pgid) this.set(st.pid, pgid);
  }

  private set(pid: number, pgid: number): void {
    this.forget(pid);
    this.entries.set(pid, pgid);
    let group = this.byGroup.get(pgid);
    if (!group) this.byGroup.set(pgid, (group = new Set()));
    group.add(pid);
  }

  private forget(pid: number): void {
    const pgid = this.entries.get(pid);
    if (pgid === undefined) return;
    this.entries.delete(pid);
    const group = this.byGroup.get(pgid);
    group?.delete(pid);
    if (group?.size === 0) this.byGroup.delete(pgid);
  }

  /** Reads a bounded share of the pids handed out since the last look, and lets go of groups nobody asks about. */
  private refresh(now: number): void {
    for (const [pgid, at] of this.tracked) {
      if (now - at < FORGET_GROUP_AFTER_MS) continue;
      this.tracked.delete(pgid);
      for (const pid of [...(this.byGroup.get(pgid) ?? [])]) this.forget(pid);
    }
    const last = this.lastPid();
    let from = this.readAfterPid;
    if (last === undefined || from === undefined) {
      this.readAfterPid = last;
      return;
    }
    let budget = MAX_NEW_READS;
    if (last < from) {
      // The numbers wrapped: the top of the range first, then on from the bottom. (Wrapping twice
      // between two looks, tens of thousands of processes in a few seconds, would lose a span.)
      const top = Math.min(pidMax(), from + budget);
      for (let pid = from + 1; pid <= top; pid++) this.learn(pid);
      budget -= Math.max(0, top - from); // pid_max lowered meanwhile: nothing read up there
      if (top < pidMax()) {
        this.readAfterPid = top;
        return;
      }
      from = FIRST_PID_AFTER_WRAP - 1;
    }
    const upTo = Math.min(last, from + budget);
    for (let pid = from + 1; pid <= upTo; pid++) this.learn(pid);
    this.readAfterPid = upTo;
  }

  /** Reads a pid handed out since the last look: a process of a tracked group is kept; a thread, or anyone else's, is not. */
  private learn(pid: number): void {
    const st = readProcStat(pid);
    // Gone already, or someone else's: a number kept from an earlier process goes too.
    if (!st || !this.tracked.has(st.pgid)) {
      this.forget(pid);
      return;
    }
    // A group's leader is a process; another id may be a thread, whose stat would count twice.
    if (st.pgid !== pid && readTgid(pid) !== pid) return;
    this.set(pid, st.pgid);
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
    const cwd = readCwd(p.pid);
    if (cwd !== undefined && (cwd === dir || cwd.startsWith(prefix))) out.push(p.pid);
  }
  return out;
}
