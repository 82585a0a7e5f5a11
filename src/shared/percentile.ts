/**
 * Nearest-rank percentile (the smallest value with at least p% of the values at or below it):
 * always one of the measured values, never an interpolation between two calls.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}
