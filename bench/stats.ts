/** The benchmarks' one way to summarise samples: nearest-rank percentiles over a sorted copy. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface Summary {
  n: number;
  median: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}

export function summary(xs: readonly number[]): Summary {
  return {
    n: xs.length,
    median: percentile(xs, 50),
    p95: percentile(xs, 95),
    p99: percentile(xs, 99),
    min: Math.min(...xs),
    max: Math.max(...xs),
  };
}
