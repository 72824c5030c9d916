// Benchmark figures as an aligned plain-text table, so runs can be compared by eye or by diff.

export function printTable(header: string[], rows: (string | number)[][], out: (s: string) => void = (s) => process.stdout.write(s)): void {
  const all = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('   ')
      .trimEnd();
  out(all.map(line).join('\n') + '\n');
}
