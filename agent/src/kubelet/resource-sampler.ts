// Resource use of containers: cpu in millicores and memory as resident set bytes, summed over
// every live process of each container's process group, because what a container costs includes
// everything it forked. The numbers come from the stat lines the process table reads anyway to
// know a group's members (utime, stime and rss are on the same line), so a sample costs one read
// per process: pidusage read each process's stat again (most of an idle agent's work, measured),
// and forked getconf twice at its first sample. The agent's own use comes from Node itself.

import { readFileSync } from 'node:fs';
import type { ProcStat } from './proc.js';
import { processTable } from './proc.js';

export interface Usage {
  /** millicores */
  cpu: number;
  /** bytes */
  memory: number;
}

export interface Sample {
  /** Usage per process group id; a group with no live member is absent. */
  groups: Map<number, Usage>;
  /** The agent process itself. */
  self: Usage;
}

/** How often a sample also reads the pids handed out since, to find processes that containers forked. */
export const DISCOVER_EVERY_MS = 10_000;

/** USER_HZ: /proc counts CPU time in hundredths of a second on every Linux. */
const TICKS_PER_SECOND = 100;

/** The kernel's page size: resident pages (statm) against resident kB (status) of this process. */
function pageSize(): number {
  try {
    const pages = Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]);
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
    const size = Math.round((kb * 1024) / pages / 4096) * 4096;
    return size > 0 ? size : 4096;
  } catch {
    return 4096;
  }
}

/** Per-pid CPU ticks at the last sample, to turn ticks into a rate. */
export interface TickMemory {
  ticks: Map<number, number>;
  atMs: number;
}

/**
 * Usage per group from the members' stat, given the ticks seen at the last sample. Pure, so the
 * arithmetic is tested without processes. A pid seen for the first time counts no CPU yet.
 */
export function usageByGroup(
  members: ReadonlyMap<number, readonly ProcStat[]>,
  last: TickMemory | undefined,
  nowMs: number,
  pageBytes: number,
): { groups: Map<number, Usage>; memory: TickMemory } {
  const groups = new Map<number, Usage>();
  const ticks = new Map<number, number>();
  const seconds = last ? (nowMs - last.atMs) / 1000 : 0;
  for (const [pgid, stats] of members) {
    const u: Usage = { cpu: 0, memory: 0 };
    for (const st of stats) {
      u.memory += (st.rssPages ?? 0) * pageBytes;
      if (st.cpuTicks === undefined) continue;
      ticks.set(st.pid, st.cpuTicks);
      const before = last?.ticks.get(st.pid);
      if (before !== undefined && seconds > 0) u.cpu += (Math.max(0, st.cpuTicks - before) / TICKS_PER_SECOND / seconds) * 1000;
    }
    u.cpu = Math.round(u.cpu);
    groups.set(pgid, u);
  }
  return { groups, memory: { ticks, atMs: nowMs } };
}

export class ResourceSampler {
  private last: TickMemory | undefined;
  private readonly pageBytes = pageSize();
  private selfCpu = process.cpuUsage();
  private selfAt = Date.now();
  private discoveredAt = -Infinity;

  sample(pgids: readonly number[]): Sample {
    const now = Date.now();
    const discover = now - this.discoveredAt >= DISCOVER_EVERY_MS;
    if (discover) this.discoveredAt = now;
    const members = processTable.memberStats(new Set(pgids), discover);
    const { groups, memory } = usageByGroup(members, this.last, now, this.pageBytes);
    this.last = memory;
    const used = process.cpuUsage(this.selfCpu);
    const seconds = (now - this.selfAt) / 1000;
    this.selfCpu = process.cpuUsage();
    this.selfAt = now;
    const self = { cpu: seconds > 0 ? Math.round((used.user + used.system) / 1000 / seconds) : 0, memory: process.memoryUsage.rss() };
    return { groups, self };
  }
}
