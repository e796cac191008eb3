import type { ThresholdSet } from './thresholds';
import { percentilesUsed } from './thresholds';

/** Latency statistics every summary carries: k6's `summaryTrendStats` and the local runner's trend. */
export function trendStats(thresholds: ThresholdSet): string[] {
  const ps = new Set([90, 95, 99, 99.9, ...percentilesUsed(thresholds)]);
  return ['avg', 'min', 'med', 'max', ...[...ps].sort((a, b) => a - b).map((p) => `p(${p})`)];
}

/** Percentile by linear interpolation between closest ranks, as k6 computes its Trend percentiles. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

/** The named trend statistics of a sample, keyed as k6 keys them. */
export function trend(samples: readonly number[], stats: readonly string[]): Record<string, number> {
  const sorted = [...samples].sort((a, b) => a - b);
  const out: Record<string, number> = {};
  for (const stat of stats) {
    const p = /^p\((.+)\)$/.exec(stat);
    if (p) out[stat] = percentile(sorted, Number(p[1]));
    else if (stat === 'avg') out.avg = sorted.reduce((a, b) => a + b, 0) / sorted.length;
    else if (stat === 'min') out.min = sorted[0];
    else if (stat === 'max') out.max = sorted[sorted.length - 1];
    else if (stat === 'med') out.med = percentile(sorted, 50);
    else if (stat === 'count') out.count = sorted.length;
  }
  return out;
}
