import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Aggregator } from 'prom-client';

/**
 * The service's one Prometheus registry and the helpers every part uses to add to it. Metric names
 * carry base units (`_seconds`, `_bytes`) and counters end in `_total`; labels stay bounded: model
 * and version, plus small fixed sets such as an HTTP status or a cache tier, never ids or raw input.
 */
export const MODEL_LABELS = ['model', 'version'] as const;

interface MetricSpec<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  /** How the cluster primary combines workers' values (prom-client default: sum). */
  aggregator?: Aggregator;
  /** Brings the values up to date when the registry is read (a scrape). */
  collect?: () => void;
}

function checkName(name: string, kind: 'counter' | 'gauge' | 'histogram') {
  if (kind === 'counter' && !name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
  if (kind !== 'counter' && name.endsWith('_total'))
    throw new Error(`${kind} ${name} must not end in _total`);
}

/** Returns the metric already registered under this name (re-creating an app in tests reuses it). */
function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

export function defineCounter<L extends string>(registry: Registry, spec: MetricSpec<L>): Counter<L> {
  checkName(spec.name, 'counter');
  return (
    existing(registry, spec.name) ??
    new Counter({ ...spec, labelNames: spec.labelNames ?? [], registers: [registry] })
  );
}

export function defineGauge<L extends string>(registry: Registry, spec: MetricSpec<L>): Gauge<L> {
  checkName(spec.name, 'gauge');
  return (
    existing(registry, spec.name) ??
    new Gauge({ ...spec, labelNames: spec.labelNames ?? [], registers: [registry] })
  );
}

export function defineHistogram<L extends string>(
  registry: Registry,
  spec: MetricSpec<L> & { buckets: number[] },
): Histogram<L> {
  checkName(spec.name, 'histogram');
  return (
    existing(registry, spec.name) ??
    new Histogram({ ...spec, labelNames: spec.labelNames ?? [], registers: [registry] })
  );
}

/** Latency buckets from 0.5 ms to 10 s: the SLA lives between 20 and 100 ms. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10,
];

export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

type ModelLabel = (typeof MODEL_LABELS)[number];

/** The core service metrics; guards define theirs on the same registry with the helpers above. */
export class ServiceMetrics {
  readonly requests: Counter<ModelLabel | 'status'>;
  readonly requestDuration: Histogram<ModelLabel>;
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
      name: 'inference_requests_total',
      help: 'Inference requests answered, by HTTP status.',
      labelNames: [...MODEL_LABELS, 'status'],
    });
    this.requestDuration = defineHistogram(registry, {
      name: 'inference_request_duration_seconds',
      help: 'Time from request arrival to response, for inference requests.',
      labelNames: MODEL_LABELS,
      buckets: LATENCY_BUCKETS,
    });
    this.queueDuration = defineHistogram(registry, {
      name: 'inference_queue_duration_seconds',
      help: 'Time a request waited in its model version batch queue.',
      labelNames: MODEL_LABELS,
      buckets: LATENCY_BUCKETS,
    });
    this.computeDuration = defineHistogram(registry, {
      name: 'inference_compute_duration_seconds',
      help: 'onnxruntime execution time per batch.',
      labelNames: MODEL_LABELS,
      buckets: LATENCY_BUCKETS,
    });
    this.batchSize = defineHistogram(registry, {
      name: 'inference_batch_size',
      help: 'Rows per executed batch.',
      labelNames: MODEL_LABELS,
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    });
    this.queueDepth = defineGauge(registry, {
      name: 'inference_queue_depth',
      help: 'Requests waiting in the batch queue of a model version.',
      labelNames: MODEL_LABELS,
    });
    this.modelLoadDuration = defineHistogram(registry, {
      name: 'model_load_duration_seconds',
      help: 'Time to load and warm up a model version.',
      labelNames: MODEL_LABELS,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    });
    this.modelLoadFailures = defineCounter(registry, {
      name: 'model_load_failures_total',
      help: 'Model version loads that failed (the previous version, if any, kept serving).',
      labelNames: MODEL_LABELS,
    });
    this.rejections = defineCounter(registry, {
      name: 'inference_rejections_total',
      help: 'Requests the batcher answered without running: queue_full (503) or deadline (504).',
      labelNames: [...MODEL_LABELS, 'reason'],
    });
    this.shadowRequests = defineCounter(registry, {
      name: 'inference_shadow_requests_total',
      help: 'Shadow copies sent to a model version by its traffic policy, by outcome (ok, error).',
      labelNames: [...MODEL_LABELS, 'outcome'],
    });
    this.featureLookups = defineCounter(registry, {
      name: 'feature_lookup_total',
      help: 'Entity feature lookups of /predict, by result: hit, miss (no value), stale (older than its max age) or error (store down or slow: default used).',
      labelNames: ['model', 'result'],
    });
    this.featureAge = defineHistogram(registry, {
      name: 'feature_age_seconds',
      help: 'Age of the entity feature values /predict found: record time minus the newest event the value includes.',
      labelNames: ['model'],
      buckets: [1, 10, 60, 300, 900, 3600, 6 * 3600, 86_400, 7 * 86_400, 30 * 86_400],
    });
  }
}
