// What /proc says a process costs, for the benchmarks: resident and proportional memory, and CPU
// time; and which processes belong to a cluster (pods run with their working directory under its
// data dir).

import { pssBytes as pss, readProcStat, rssBytes as rss } from '@kip/shared';
import { listProcesses } from '../soak/processes.js';

const CLOCK_TICKS_PER_SECOND = 100;

/** Resident set size in bytes, or NaN when the process is gone. */
export function rssBytes(pid: number): number {
  return rss(pid) ?? NaN;
}

/** Proportional set size in bytes (shared pages counted as their share), or NaN when the process is gone. */
export function pssBytes(pid: number): number {
  return pss(pid) ?? NaN;
}

/** CPU seconds a process has used (user + system), its own threads only; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  const ticks = readProcStat(pid)?.cpuTicks;
  return ticks === undefined ? 0 : ticks / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds of a process and of the children it has waited for (a probe, a pod's wrapper); 0 when it is gone. */
export function cpuSecondsWithChildren(pid: number): number {
  const st = readProcStat(pid);
  return ((st?.cpuTicks ?? 0) + (st?.childCpuTicks ?? 0)) / CLOCK_TICKS_PER_SECOND;
}

/** Pids of the live processes whose working directory lies under `dir` (a cluster's pods). */
export function processesUnder(dir: string): number[] {
  return listProcesses()
    .filter((p) => p.cwd === dir || p.cwd.startsWith(`${dir}/`))
    .map((p) => p.pid);
}
