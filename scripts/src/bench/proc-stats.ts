// What /proc says a process costs, for the benchmarks: resident and proportional memory, and CPU
// time; and which processes belong to a cluster (pods run with their working directory under its
// data dir).

import { readFileSync } from 'node:fs';
import { listProcesses } from '../soak/processes.js';

const CLOCK_TICKS_PER_SECOND = 100;

/** Resident set size in bytes, or NaN when the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Proportional set size in bytes: each shared page counted as its share. Agents share the pages of
 * the node binary and their bundle, so RSS alone overstates what a hundred of them cost.
 */
export function pssBytes(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN; // gone, or a kernel before 4.14 without smaps_rollup
  }
}

/** CPU seconds a process has used (user + system), its own threads only; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Pids of the live processes whose working directory lies under `dir` (a cluster's pods). */
export function processesUnder(dir: string): number[] {
  return listProcesses()
    .filter((p) => p.cwd === dir || p.cwd.startsWith(`${dir}/`))
    .map((p) => p.pid);
}
