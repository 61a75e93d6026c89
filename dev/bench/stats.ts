/** The summaries every figure is reported with: the median of the repetitions and their spread. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

const ascending = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);

export function summarize(values: readonly number[]): Spread {
  const sorted = ascending(values);
  if (sorted.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, n: sorted.length };
}

/** Nearest rank: every reported percentile is a latency that some request really had. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = ascending(values);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;
