// What Linux's /proc says about a process, read in one place for the agent, the control plane,
// the scripts and the tests: its stat line, its command line, its working directory, its memory.
// Every reader answers undefined for a process that is gone or not ours to read.

import fs from 'node:fs';

export interface ProcStat {
  pid: number;
  /** One letter: R running, S sleeping, Z zombie, ... */
  state: string;
  ppid: number;
  pgid: number;
  /** CPU time used, user and system, in clock ticks (USER_HZ: 100 a second) */
  cpuTicks?: number;
  /** CPU time of the children it has waited for (cutime + cstime), in clock ticks */
  childCpuTicks?: number;
  /** resident set size, in pages */
  rssPages?: number;
}

/** The fields of a stat line that are read, counted from the state (0) as proc(5)'s fields 3 on. */
const STATE = 0;
const PPID = 1;
const PGID = 2;
const UTIME = 11;
const STIME = 12;
const CUTIME = 13;
const CSTIME = 14;
const RSS = 21;

/**
 * Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so fields start after
 * the last ')'. Agents parse thousands of lines a minute, so only the fields read are cut out of
 * the line: splitting it whole made fifty strings of garbage a line.
 */
export function parseProcStat(pid: number, text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f: string[] = []; // fields 0..RSS; those never read stay empty
  for (let i = 0, at = close + 2; i <= RSS && at <= text.length; i++) {
    const space = text.indexOf(' ', at);
    const end = space < 0 ? text.length : space;
    if (i <= PGID || (i >= UTIME && i <= CSTIME) || i === RSS) f[i] = text.slice(at, end).trim();
    at = end + 1;
  }
  // A field the line lacks reads as NaN, not as Number('') = 0.
  const num = (i: number): number => (f[i] ? Number(f[i]) : Number.NaN);
  const state = f[STATE];
  const ppid = num(PPID);
  const pgid = num(PGID);
  if (!state || !Number.isInteger(ppid) || !Number.isInteger(pgid)) return undefined;
  const st: ProcStat = { pid, state, ppid, pgid };
  const ticks = num(UTIME) + num(STIME);
  if (Number.isFinite(ticks)) st.cpuTicks = ticks;
  // cutime + cstime: the children it has reaped, such as a probe's unshare.
  const childTicks = num(CUTIME) + num(CSTIME);
  if (Number.isFinite(childTicks)) st.childCpuTicks = childTicks;
  const rss = num(RSS);
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

/** The pids /proc lists now; none when it cannot be read. */
export function listPids(): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of entries) {
    const c = e.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(e));
  }
  return out;
}

/** Every process on the machine, as /proc lists it now. */
export function listProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const pid of listPids()) {
    const st = readProcStat(pid);
    if (st) out.push(st);
  }
  return out;
}

/**
 * The process a task id belongs to (Tgid, from /proc/<id>/status). A thread's id opens in /proc as
 * a pid does, though /proc does not list it; only where the two are equal is the id a process.
 */
export function readTgid(id: number): number | undefined {
  try {
    const m = /^Tgid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${id}/status`, 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

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

/** The process's argv, from /proc/<pid>/cmdline (NUL-separated, with a NUL after the last). */
export function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.endsWith('\0') ? raw.slice(0, -1).split('\0') : raw.split('\0');
  } catch {
    return undefined;
  }
}

/** The process's working directory, as the kernel names it (with " (deleted)" once it is removed). */
export function readCwd(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/** Resident memory, from /proc/<pid>/status (VmRSS), in bytes. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Proportional memory in bytes: each shared page counted as its share. Agents share the pages of
 * the node binary and their bundle, so RSS alone overstates what a hundred of them cost.
 */
export function pssBytes(pid: number): number | undefined {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined; // gone, or a kernel before 4.14 without smaps_rollup
  }
}
