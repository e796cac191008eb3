import { METRICS, MODEL_LABELS, type MetricContract, type MetricType } from '@ml-platform/contract/names';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Aggregator } from 'prom-client';

/**
 * The service's one Prometheus registry and the helpers every part uses to add to it. Names, types
 * and label names come from the contract's METRICS, which the platform's queries read too; the
 * service adds the help text and how workers' values combine.
 */
type MetricSpec<L extends string> = MetricContract<L> & {
  help: string;
  /** How the cluster primary combines workers' values (prom-client default: sum). */
  aggregator?: Aggregator;
  /** Brings the values up to date when the registry is read (a scrape). */
  collect?: () => void;
};

function checkType(spec: MetricSpec<string>, type: MetricType) {
  if (spec.type !== type) throw new Error(`${spec.name} is a ${spec.type} in the contract, not a ${type}`);
}

/** prom-client's options: the spec without the contract's `type`, on this registry. */
const options = <L extends string>(registry: Registry, { type: _, ...spec }: MetricSpec<L>) => ({
  ...spec,
  registers: [registry],
});

/** Returns the metric already registered under this name (re-creating an app in tests reuses it). */
function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

export function defineCounter<L extends string>(registry: Registry, spec: MetricSpec<L>): Counter<L> {
  checkType(spec, 'counter');
  return existing(registry, spec.name) ?? new Counter(options(registry, spec));
}

export function defineGauge<L extends string>(registry: Registry, spec: MetricSpec<L>): Gauge<L> {
  checkType(spec, 'gauge');
  return existing(registry, spec.name) ?? new Gauge(options(registry, spec));
}

export function defineHistogram<L extends string>(
  registry: Registry,
  spec: MetricSpec<L> & { buckets: number[] },
): Histogram<L> {
  checkType(spec, 'histogram');
  return (
    existing(registry, spec.name) ?? new Histogram({ ...options(registry, spec), buckets: spec.buckets })
  );
}

/** Latency buckets from 0.5 ms to 10 s: the SLA lives between 20 and 100 ms. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * GC pause buckets finer than prom-client's (1 ms, 10 ms, 100 ms...): a young-generation scavenge
 * takes about 0.5 to 2 ms here, the size of the hot path's latency targets.
 */
export const GC_PAUSE_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 2, 5];

export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, gcDurationBuckets: GC_PAUSE_BUCKETS });
  return registry;
}

type ModelLabel = (typeof MODEL_LABELS)[number];

/** The core service metrics; guards define theirs on the same registry with the helpers above. */
export class ServiceMetrics {
  readonly requests: Counter<ModelLabel | 'status' | 'protocol'>;
  readonly requestDuration: Histogram<ModelLabel | 'protocol'>;
  readonly queueDuration: Histogram<ModelLabel>;
  readonly computeDuration: Histogram<ModelLabel>;
  readonly batchSize: Histogram<ModelLabel>;
  readonly queueDepth: Gauge<ModelLabel>;
  readonly modelLoadDuration: Histogram<ModelLabel>;
  readonly modelLoadFailures: Counter<ModelLabel>;
  readonly rejections: Counter<ModelLabel | 'reason'>;
  readonly shadowRequests: Counter<ModelLabel | 'outcome'>;
  readonly featureLookups: Counter<'model' | 'result'>;
  readonly featureAge: Histogram<'model'>;

  constructor(readonly registry: Registry) {
    this.requests = defineCounter(registry, {
      ...METRICS.requests,
      help: 'Inference requests answered, by HTTP status (a gRPC call counts as its HTTP equivalent) and protocol.',
    });
    this.requestDuration = defineHistogram(registry, {
      ...METRICS.requestDuration,
      help: 'Time from request arrival to response, for inference requests, by protocol.',
      buckets: LATENCY_BUCKETS,
    });
    this.queueDuration = defineHistogram(registry, {
      ...METRICS.queueDuration,
      help: 'Time a request waited in its model version batch queue.',
      buckets: LATENCY_BUCKETS,
    });
    this.computeDuration = defineHistogram(registry, {
      ...METRICS.computeDuration,
      help: 'onnxruntime execution time per batch.',
      buckets: LATENCY_BUCKETS,
    });
    this.batchSize = defineHistogram(registry, {
      ...METRICS.batchSize,
      help: 'Rows per executed batch.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    });
    this.queueDepth = defineGauge(registry, {
      ...METRICS.queueDepth,
      help: 'Requests waiting in the batch queue of a model version.',
    });
    this.modelLoadDuration = defineHistogram(registry, {
      ...METRICS.modelLoadDuration,
      help: 'Time to load and warm up a model version.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    });
    this.modelLoadFailures = defineCounter(registry, {
      ...METRICS.modelLoadFailures,
      help: 'Model version loads that failed (the previous version, if any, kept serving).',
    });
    this.rejections = defineCounter(registry, {
      ...METRICS.rejections,
      help: 'Requests the batcher answered without running: queue_full (503) or deadline (504).',
    });
    this.shadowRequests = defineCounter(registry, {
      ...METRICS.shadowRequests,
      help: 'Shadow copies sent to a model version by its traffic policy, by outcome (ok, error).',
    });
    this.featureLookups = defineCounter(registry, {
      ...METRICS.featureLookups,
      help: 'Entity feature lookups of /predict, by result: hit, miss (no value), stale (older than its max age) or error (store down or slow: default used).',
    });
    this.featureAge = defineHistogram(registry, {
      ...METRICS.featureAge,
      help: 'Age of the entity feature values /predict found: record time minus the newest event the value includes.',
      buckets: [1, 10, 60, 300, 900, 3600, 6 * 3600, 86_400, 7 * 86_400, 30 * 86_400],
    });
  }
}
