import type { BatchEvent } from '../core/observer';
import type { Observation } from '../pipeline/phases';
import { PerVersion } from './tallies';

/** Triton's StatisticDuration: how many times, and their total in nanoseconds. */
export interface Duration {
  count: number;
  ns: number;
}

/** One model version's cumulative statistics, in the shape of Triton's ModelStatistics message. */
export interface VersionStatistics {
  name: string;
  version: string;
  /** Milliseconds since the epoch of the last answered request; 0 before the first. */
  last_inference: number;
  /** Rows the model ran (a batch of 64 rows counts 64), cache hits excluded. */
  inference_count: number;
  /** Model executions (one per batch), cache hits excluded. */
  execution_count: number;
  inference_stats: {
    success: Duration;
    fail: Duration;
    queue: Duration;
    compute_infer: Duration;
    cache_hit: Duration;
  };
  batch_stats: { batch_size: number; compute_infer: Duration }[];
}

const NS = 1e9;
const add = (d: Duration, count: number, seconds: number) => {
  d.count += count;
  d.ns += Math.round(seconds * NS);
};
const zero = (): Duration => ({ count: 0, ns: 0 });

type Counts = Omit<VersionStatistics, 'batch_stats'> & { batches: Map<number, Duration> };

const emptyCounts = (name: string, version: string): Counts => ({
  name,
  version,
  last_inference: 0,
  inference_count: 0,
  execution_count: 0,
  inference_stats: { success: zero(), fail: zero(), queue: zero(), compute_infer: zero(), cache_hit: zero() },
  batches: new Map(),
});

/**
 * Per model version, since the process started: the answers (from the observe phase, so REST and
 * gRPC alike) and the batches (from the engine), as Triton's statistics extension reports them.
 * A request that failed before traffic routing picked a version (bad input, unknown model) has no
 * version to count under and is left out. Each process counts its own calls: with WORKERS > 1 a
 * worker reports its own share.
 */
export class ModelStatistics {
  private readonly byVersion = new PerVersion<Counts>(emptyCounts);

  private entry(name: string, version: string): Counts {
    return this.byVersion.get(name, version);
  }

  /** The observe hook: one answered inference request. */
  readonly observe = (o: Observation): void => {
    if (o.status === 200 && o.result) {
      const e = this.entry(o.result.modelName, o.result.modelVersion);
      e.last_inference = Date.now();
      add(e.inference_stats.success, 1, o.seconds);
      if (o.servedBy === 'cache') add(e.inference_stats.cache_hit, 1, o.seconds);
    } else if (o.route?.version !== undefined) {
      add(this.entry(o.model, o.route.version).inference_stats.fail, 1, o.seconds);
    }
  };

  /** The engine's batch hook: one execution of `size` rows for `requests` requests. */
  onBatch(b: BatchEvent): void {
    if (!b.ok) return;
    const e = this.entry(b.model, b.version);
    e.execution_count++;
    e.inference_count += b.size;
    add(
      e.inference_stats.queue,
      b.queueSeconds.length,
      b.queueSeconds.reduce((s, q) => s + q, 0),
    );
    // Every request in the batch waited for the whole run, as Triton counts compute per request.
    add(e.inference_stats.compute_infer, b.requests, b.computeSeconds * b.requests);
    let batch = e.batches.get(b.size);
    if (!batch) e.batches.set(b.size, (batch = zero()));
    add(batch, 1, b.computeSeconds);
  }

  /** The statistics of each version listed, zero for one that has seen nothing yet. */
  report(versions: { name: string; version: string }[]): VersionStatistics[] {
    return versions.map(({ name, version }) => {
      // A version that has seen nothing reports zeros without taking a place in the map.
      const { batches, ...stats } = this.byVersion.find(name, version) ?? emptyCounts(name, version);
      return {
        ...stats,
        batch_stats: [...batches]
          .sort(([a], [b]) => a - b)
          .map(([batch_size, compute_infer]) => ({ batch_size, compute_infer })),
      };
    });
  }
}
