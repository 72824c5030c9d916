// Resource use of containers, sampled with pidusage: cpu in millicores and memory as resident set
// bytes, summed over every live process of each container's process group (found by pgid in
// /proc), because what a container costs includes everything it forked.

import pidusage from 'pidusage';
import { groupMembers } from './proc.js';

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

/** Per-pid usage -> per-group sums. Pure, so the summing is tested without processes. */
export function sumByGroup(members: ReadonlyMap<number, readonly number[]>, perPid: Readonly<Record<string, { cpu: number; memory: number } | undefined>>): Map<number, Usage> {
  const out = new Map<number, Usage>();
  for (const [pgid, pids] of members) {
    const u: Usage = { cpu: 0, memory: 0 };
    for (const pid of pids) {
      const s = perPid[pid];
      if (!s) continue; // exited between the /proc scan and the sample
      u.cpu += s.cpu * 10; // pidusage gives percent of one core
      u.memory += s.memory;
    }
    u.cpu = Math.round(u.cpu);
    out.set(pgid, u);
  }
  return out;
}

export class ResourceSampler {
  /**
   * pidusage keeps an open /proc/<pid>/stat per pid it has seen, for this long after the last
   * sample of it; kept short, so that the files of dead processes are closed soon.
   */
  constructor(private readonly maxAgeMs: number) {}

  async sample(pgids: readonly number[]): Promise<Sample> {
    const members = groupMembers(new Set(pgids));
    const pids = [process.pid];
    for (const list of members.values()) pids.push(...list);
    let perPid: Record<string, pidusage.Status | undefined> = {};
    try {
      perPid = await pidusage(pids, { maxage: this.maxAgeMs });
    } catch {
      // Every pid vanished at once; an empty sample is the truth.
    }
    const self = perPid[process.pid];
    return {
      groups: sumByGroup(members, perPid),
      self: { cpu: Math.round((self?.cpu ?? 0) * 10), memory: self?.memory ?? 0 },
    };
  }
}
