// Every run of the soak's NodeChaos, kept whole. The controller keeps only the newest 50 records
// in status.records (a 10-minute soak at one kill every 5 s makes 120), so the soak reads the
// status often enough (well under 50 runs apart) and merges what it has not seen. The Events
// on the NodeChaos object say the same thing a second way; they are counted to compare.

import type { ChaosRecord } from '@kip/shared';
import type { ObservedEvent } from '../experiment/report.js';
import type { KillRecord } from './report.js';

function keyOf(r: ChaosRecord): string {
  return `${r.time}|${r.result}|${r.nodes.join(',')}`;
}

export class KillLog {
  private readonly records = new Map<string, ChaosRecord>();

  /** Adds the records not seen yet; returns them, oldest first. */
  merge(records: readonly ChaosRecord[] | undefined): ChaosRecord[] {
    const fresh: ChaosRecord[] = [];
    for (const r of records ?? []) {
      const key = keyOf(r);
      if (this.records.has(key)) continue;
      this.records.set(key, r);
      fresh.push(r);
    }
    return fresh;
  }

  get size(): number {
    return this.records.size;
  }

  /** Every record, on a time axis in ms from `t0` (wall-clock ms), oldest first. */
  kills(t0: number): KillRecord[] {
    return [...this.records.values()]
      .map((r) => ({ atMs: Date.parse(r.time) - t0, nodes: [...r.nodes], result: r.result, ...(r.message ? { message: r.message } : {}) }))
      .sort((a, b) => a.atMs - b.atMs);
  }

  /** How many runs injected (killed) so far. */
  get injected(): number {
    let n = 0;
    for (const r of this.records.values()) if (r.result === 'Injected') n++;
    return n;
  }
}

/**
 * Events on one object, by reason. Repeats fold into one Event with a count, and the watch may
 * see only some of the counts, so each distinct Event (reason and message) counts its highest.
 */
export function eventCounts(
  observations: readonly Pick<ObservedEvent, 'object' | 'reason' | 'message' | 'count' | 'source'>[],
  object: string,
): Record<string, number> {
  const highest = new Map<string, { reason: string; count: number }>();
  for (const o of observations) {
    if (o.source !== 'event' || o.object !== object) continue;
    const key = `${o.reason}\u0000${o.message}`;
    const count = o.count ?? 1;
    if ((highest.get(key)?.count ?? 0) < count) highest.set(key, { reason: o.reason, count });
  }
  const out: Record<string, number> = {};
  for (const { reason, count } of highest.values()) out[reason] = (out[reason] ?? 0) + count;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
