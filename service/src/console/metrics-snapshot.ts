import { METRICS, histogramSeries } from '@ml-platform/contract/names';
import type { PromSample } from './prom-text';

const DURATION = histogramSeries(METRICS.requestDuration);
const BATCH = histogramSeries(METRICS.batchSize);

/** Cumulative counts of one model version at one instant, as /metrics reports them. */
export interface VersionCounters {
  requests: number;
  /** Answers with a 5xx status: what the SLA's error rate counts (infra/src/monitoring/promql.ts). */
  errors: number;
  /** Cumulative request-duration bucket counts, aligned with `les` (seconds, the last one +Inf). */
  les: number[];
  buckets: number[];
  batches: number;
  batchRows: number;
  cacheHits: number;
  /** Requests that asked the cache: the first tier asked sees every lookup, hit or miss. */
  cacheLookups: number;
  /** The drift gauge (largest per-feature PSI of the last full window); null before one. */
  driftScore: number | null;
  /** The confidence-shift gauge (PSI of top-1 scores against the held-out profile); null before one. */
  confidenceShift: number | null;
  /** The pod's cost attributed to this version so far (cost/attribution.ts). */
  costUsd: number;
}

export type BreakerState = 'closed' | 'half-open' | 'open';

export interface MetricsSnapshot {
  /** Keyed by versionKey(model, version). */
  versions: Map<string, VersionCounters>;
  breakers: Map<string, BreakerState>;
  /** Undefined when Redis is not configured; else 1 when every worker has it up (gauge min). */
  redisUp?: number;
  workers: number;
}

/**
 * The label infer-handler.ts gives requests for no known model. Failed requests to a known model
 * that named no version carry version "" and are kept: they are that model's errors.
 */
const UNKNOWN = '(unknown)';

export const versionKey = (model: string, version: string) => `${model}\u0000${version}`;

export function splitVersionKey(key: string): { model: string; version: string } {
  const [model, version] = key.split('\u0000');
  return { model, version };
}

const BREAKER_STATES: BreakerState[] = ['closed', 'half-open', 'open'];

export function emptyCounters(): VersionCounters {
  return {
    requests: 0,
    errors: 0,
    les: [],
    buckets: [],
    batches: 0,
    batchRows: 0,
    cacheHits: 0,
    cacheLookups: 0,
    driftScore: null,
    confidenceShift: null,
    costUsd: 0,
  };
}

/** Picks the per-version series the console charts out of a /metrics scrape. */
export function snapshotOf(samples: readonly PromSample[]): MetricsSnapshot {
  const versions = new Map<string, VersionCounters>();
  const breakers = new Map<string, BreakerState>();
  const cacheByTier = new Map<string, Map<string, number>>();
  let redisUp: number | undefined;
  let workers = 0;

  const counters = (labels: Record<string, string>) => {
    const { model, version } = labels;
    if (model === undefined || version === undefined || model === UNKNOWN) return undefined;
    const key = versionKey(model, version);
    let c = versions.get(key);
    if (!c) versions.set(key, (c = emptyCounters()));
    return c;
  };

  for (const s of samples) {
    switch (s.name) {
      case METRICS.requests.name: {
        const c = counters(s.labels);
        if (!c) break;
        c.requests += s.value;
        if (s.labels.status?.startsWith('5')) c.errors += s.value;
        break;
      }
      case DURATION.bucket: {
        const c = counters(s.labels);
        if (!c) break;
        // The exposition lists a series' buckets in ascending `le` order.
        c.les.push(s.labels.le === '+Inf' ? Infinity : Number(s.labels.le));
        c.buckets.push(s.value);
        break;
      }
      case BATCH.count: {
        const c = counters(s.labels);
        if (c) c.batches = s.value;
        break;
      }
      case BATCH.sum: {
        const c = counters(s.labels);
        if (c) c.batchRows = s.value;
        break;
      }
      case METRICS.cacheHits.name:
      case METRICS.cacheMisses.name: {
        const c = counters(s.labels);
        if (!c) break;
        if (s.name === METRICS.cacheHits.name) c.cacheHits += s.value;
        const key = versionKey(s.labels.model, s.labels.version);
        const tiers = cacheByTier.get(key) ?? new Map<string, number>();
        tiers.set(s.labels.tier ?? '', (tiers.get(s.labels.tier ?? '') ?? 0) + s.value);
        cacheByTier.set(key, tiers);
        break;
      }
      case METRICS.driftScore.name: {
        const c = counters(s.labels);
        if (c) c.driftScore = s.value;
        break;
      }
      case METRICS.confidenceShift.name: {
        const c = counters(s.labels);
        if (c) c.confidenceShift = s.value;
        break;
      }
      case METRICS.cost.name: {
        const c = counters(s.labels);
        if (c) c.costUsd = s.value;
        break;
      }
      case METRICS.breakerState.name: {
        const { model, version } = s.labels;
        if (model !== undefined && version !== undefined)
          breakers.set(versionKey(model, version), BREAKER_STATES[s.value] ?? 'closed');
        break;
      }
      case METRICS.redisUp.name:
        redisUp = s.value;
        break;
      case METRICS.workerProcesses.name:
        workers = s.value;
        break;
    }
  }
  // Every lookup asks the first tier, and a request missing it asks the next: the busiest tier's
  // hits + misses is the number of lookups.
  for (const [key, tiers] of cacheByTier) {
    versions.get(key)!.cacheLookups = Math.max(...tiers.values());
  }
  return { versions, breakers, redisUp, workers: Math.max(1, workers) };
}
