// Small statistics: a latency histogram (1 ms buckets, cheap enough for a million samples) and medians.

export class Histogram {
  private readonly buckets: Uint32Array;
  count = 0;

  private readonly maxMs: number;

  constructor(maxMs = 60_000) {
    this.maxMs = maxMs;
    this.buckets = new Uint32Array(maxMs + 1);
  }

  add(ms: number): void {
    const i = Math.min(this.maxMs, Math.max(0, Math.round(ms)));
    this.buckets[i]! += 1;
    this.count += 1;
  }

  /** The p-th percentile (0..100) in ms, or null without samples. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) return i;
    }
    return this.maxMs;
  }

  reset(): void {
    this.buckets.fill(0);
    this.count = 0;
  }
}

export function median(values: readonly number[]): number | null {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** (max − min) / median: how far the rounds of one arm disagree — the noise floor. */
export function spread(values: readonly number[]): number | null {
  const m = median(values);
  if (m === null || m === 0 || values.length < 2) return null;
  return (Math.max(...values) - Math.min(...values)) / m;
}

export const round = (value: number | null, digits = 2): number | null =>
  value === null || !Number.isFinite(value) ? null : Number(value.toFixed(digits));
