// The completion indexes of an Indexed Job: which index a pod runs, and the set of succeeded
// indexes written as Kubernetes writes status.completedIndexes ("0-2,5,7-8").

import { JOB_COMPLETION_INDEX, type Pod } from '@kip/shared';

/** The index a pod of an Indexed Job runs, from its annotation; undefined when it has none. */
export function podIndex(pod: Pod): number | undefined {
  const v = pod.metadata.annotations?.[JOB_COMPLETION_INDEX];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** Sorted indexes as intervals: 0,1,2,5 -> "0-2,5", and two in a row as a pair (2,3 -> "2,3"), as Kubernetes writes them; "" when there are none. */
export function compressIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}${j === i + 1 ? ',' : '-'}${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** "1,3-5" -> 1,3,4,5; malformed parts are skipped. */
export function parseIndexes(s: string | undefined): number[] {
  const out: number[] = [];
  for (const part of (s ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}
