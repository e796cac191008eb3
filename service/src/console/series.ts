import type { VersionCounters } from './metrics-snapshot';

/** What the console charts for one model version over one interval; null where nothing happened. */
export interface Point {
  reqPerSec: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  errorRatio: number | null;
  cacheHitRatio: number | null;
  meanBatchSize: number | null;
  /** A gauge: its value at the end of the interval. */
  driftScore: number | null;
  /** A gauge: its value at the end of the interval. */
  confidenceShift: number | null;
  /** Attributed cost per 1000 answers in the interval; null without a pod cost or answers. */
  costPer1k: number | null;
}

export type PointField = keyof Point;

/** A record with one entry per point field, typed field by field. */
export function perField<T>(f: (field: PointField) => T): Record<PointField, T> {
  return {
    reqPerSec: f('reqPerSec'),
    p50Ms: f('p50Ms'),
    p95Ms: f('p95Ms'),
    p99Ms: f('p99Ms'),
    errorRatio: f('errorRatio'),
    cacheHitRatio: f('cacheHitRatio'),
    meanBatchSize: f('meanBatchSize'),
    driftScore: f('driftScore'),
    confidenceShift: f('confidenceShift'),
    costPer1k: f('costPer1k'),
  };
}

/**
 * The q-quantile of a cumulative histogram, interpolated linearly inside its bucket the way
 * PromQL's histogram_quantile does, so the page and a Grafana panel over the same window agree.
 * A rank in the +Inf bucket answers the highest finite bound. Null for an empty histogram.
 */
export function bucketQuantile(
  q: number,
  les: readonly number[],
  cumulative: readonly number[],
): number | null {
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < cumulative.length; i++) {
    if (cumulative[i] < rank) continue;
    const lower = i === 0 ? 0 : les[i - 1];
    if (les[i] === Infinity) return lower;
    const below = i === 0 ? 0 : cumulative[i - 1];
    const inBucket = cumulative[i] - below;
    return inBucket > 0 ? lower + ((les[i] - lower) * (rank - below)) / inBucket : lower;
  }
  return les[les.length - 2] ?? null;
}

/**
 * `after - before`. A series absent before started at zero (prom-client exports a labelled series
 * from its first increment). A count that went down (a cluster worker restarted) restarts there too.
 */
export function difference(before: VersionCounters | undefined, after: VersionCounters): VersionCounters {
  if (!before || after.requests < before.requests) return after;
  const minus = (a: number, b: number) => Math.max(0, a - b);
  const sameBuckets = before.les.length === after.les.length;
  return {
    requests: after.requests - before.requests,
    errors: minus(after.errors, before.errors),
    les: after.les,
    buckets: after.buckets.map((n, i) => minus(n, sameBuckets ? before.buckets[i] : 0)),
    batches: minus(after.batches, before.batches),
    batchRows: minus(after.batchRows, before.batchRows),
    cacheHits: minus(after.cacheHits, before.cacheHits),
    cacheLookups: minus(after.cacheLookups, before.cacheLookups),
    driftScore: after.driftScore,
    confidenceShift: after.confidenceShift,
    costUsd: minus(after.costUsd, before.costUsd),
  };
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null);
const ms = (seconds: number | null) => (seconds === null ? null : seconds * 1000);

/** The point for counts `d` accumulated over `seconds`. */
export function pointOf(d: VersionCounters, seconds: number): Point {
  return {
    reqPerSec: seconds > 0 ? d.requests / seconds : 0,
    p50Ms: ms(bucketQuantile(0.5, d.les, d.buckets)),
    p95Ms: ms(bucketQuantile(0.95, d.les, d.buckets)),
    p99Ms: ms(bucketQuantile(0.99, d.les, d.buckets)),
    errorRatio: ratio(d.errors, d.requests),
    cacheHitRatio: ratio(d.cacheHits, d.cacheLookups),
    meanBatchSize: ratio(d.batchRows, d.batches),
    driftScore: d.driftScore,
    confidenceShift: d.confidenceShift,
    // Zero cost means POD_COST_PER_HOUR_USD is unset: no panel rather than a flat zero.
    costPer1k: d.costUsd > 0 && d.requests > 0 ? (d.costUsd / d.requests) * 1000 : null,
  };
}
