// Percentiles, as every report and benchmark in kip states them.

/**
 * The nearest-rank percentile: the smallest value with at least p% of the values at or below it
 * (the value at rank ceil(p/100 * n) of the sorted values). Undefined for no values.
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}
