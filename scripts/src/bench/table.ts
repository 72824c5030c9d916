// Benchmark figures as an aligned plain-text table, so runs can be compared by eye or by diff.

import { TabWriter } from '../kip/printers/tabwriter.js';

/** Columns three spaces apart, as wide as their widest cell. */
export function printTable(header: string[], rows: (string | number)[][], out: (s: string) => void = (s) => process.stdout.write(s)): void {
  const lines = new TabWriter({ minWidth: 0, padding: 3 }).formatRows([header, ...rows.map((r) => r.map(String))]);
  out(lines.map((l) => l.trimEnd()).join('\n') + '\n');
}
