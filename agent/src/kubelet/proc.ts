// What Linux's /proc says about processes: which belong to a process group, and whether a group
// has any live member left. A container is a process group, so its usage and its death are
// questions about every member of the group, not just the process the agent started.

import fs from 'node:fs';
import { lastPid, listProcesses, parseProcStat, readCwd, readProcStat, readTgid, type ProcStat } from '@kip/shared';

// The readers live in shared, for every program that reads /proc; the kubelet's callers import them from here.
export { lastPid, listProcesses, parseProcStat, readProcStat, type ProcStat };

/** How many new processes one look reads the stat of, at most (by listing /proc or by pid number). */
const MAX_NEW_READS = 256;

/**
 * How often /proc is listed even when the pids handed out since the last look can be read one by
 * one: the listing is what forgets processes that exited without anyone asking about their group.
 */
const FULL_LISTING_EVERY_MS = 60_000;

/**
 * A cached view of /proc: the process group of every pid. A whole scan reads one stat file per
 * process on the machine; a hundred agents each doing that every second is most of two cores. So
 * only the stat of new pids is read, and only the members of the groups asked about are read again
 * (to see zombies, and a process that left its group). The kernel hands out pids in order, so the
 * new ones are those between the last pid seen at the previous look and the last one now. They
 * are read by number, a bounded share per look after a burst, without listing /proc: a listing
 * costs about 5 ms with 3,000 processes on the machine. /proc is listed at the first look, when
 * the numbers wrapped, and once a minute, which is when processes that exited unseen are forgotten.
 */
export class ProcessTable {
  /** pid -> its group, and the listing that last saw it */
  private readonly entries = new Map<number, { pgid: number; seen: number }>();
  /** pgid -> pids, so that a group's members are found without going through every process */
  private readonly byGroup = new Map<number, Set<number>>();
  private generation = 0;
  /** the last pid handed out when /proc was last looked at: every pid up to it is known */
  private listedAfterPid: number | undefined;
  private listedAtMs = -Infinity;

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
    const since = this.listedAfterPid;
    // The listing once a minute waits while a burst's pids are being read: it would find them
    // unknown too, read its own bounded share, and list again at every look until done.
    const catchingUp = last !== undefined && since !== undefined && last - since > MAX_NEW_READS;
    if (last !== undefined && since !== undefined && last > since && (catchingUp || Date.now() - this.listedAtMs < FULL_LISTING_EVERY_MS)) {
      // After a burst the span is long: a bounded share of it is read now, the rest at the next looks.
      const upTo = Math.min(last, since + MAX_NEW_READS);
      for (let pid = since + 1; pid <= upTo; pid++) this.learn(pid);
      this.listedAfterPid = upTo;
      return;
    }
    this.list(last);
  }

  /** Reads a pid handed out since the last look: a process is recorded, a thread is not. */
  private learn(pid: number): void {
    const st = readProcStat(pid);
    if (!st) {
      this.forget(pid); // exited already
      return;
    }
    // A group's leader is a process; another id may be a thread, whose stat would count twice.
    if (st.pgid !== pid && readTgid(pid) !== pid) return;
    this.set(pid, st.pgid, this.generation);
  }

  /** Lists /proc: reads the stat of pids not known yet (a bounded share of them), forgets those gone. */
  private list(last: number | undefined): void {
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
    if (budget >= 0) {
      this.listedAfterPid = last;
      this.listedAtMs = Date.now();
    }
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
    const cwd = readCwd(p.pid);
    if (cwd !== undefined && (cwd === dir || cwd.startsWith(prefix))) out.push(p.pid);
  }
  return out;
}
