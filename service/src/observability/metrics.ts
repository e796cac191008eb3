import { METRICS, MODEL_LABELS, type MetricContract, type MetricType } from '@ml-platform/contract/names';
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type Aggregator,
  type Metric,
} from 'prom-client';
import {
  CounterTally,
  GaugeTally,
  HistogramTally,
  PerVersion,
  type CounterSeries,
  type GaugeSeries,
  type HistogramSeries,
  type TallySpec,
} from './tallies';

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

/** A tally (tallies.ts) registered as a metric of the registry, or the one already there. */
function defineTally<T extends { name: string }>(
  registry: Registry,
  spec: MetricContract<string>,
  type: MetricType,
  create: () => T,
): T {
  checkType(spec as MetricSpec<string>, type);
  const found = existing<T>(registry, spec.name);
  if (found) return found;
  const tally = create();
  // The registry only reads `get()`, `reset()` and the name, which a tally gives as prom-client's metrics do.
  registry.registerMetric(tally as unknown as Metric);
  return tally;
}

type TallyOf<L extends string> = MetricContract<L> & TallySpec<L>;

export const defineCounterTally = <L extends string>(registry: Registry, spec: TallyOf<L>) =>
  defineTally(registry, spec, 'counter', () => new CounterTally(spec));

export const defineGaugeTally = <L extends string>(registry: Registry, spec: TallyOf<L>) =>
  defineTally(registry, spec, 'gauge', () => new GaugeTally(spec));

export const defineHistogramTally = <L extends string>(
  registry: Registry,
  spec: TallyOf<L> & { buckets: number[] },
) => defineTally(registry, spec, 'histogram', () => new HistogramTally(spec));

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
  // The request path's series are tallies (tallies.ts): read at a scrape, not hashed per request.
  readonly requests: CounterTally<ModelLabel | 'status' | 'protocol'>;
  readonly requestDuration: HistogramTally<ModelLabel | 'protocol'>;
  readonly queueDuration: HistogramTally<ModelLabel>;
  readonly computeDuration: HistogramTally<ModelLabel>;
  readonly batchSize: HistogramTally<ModelLabel>;
  readonly queueDepth: GaugeTally<ModelLabel>;
  readonly modelLoadDuration: Histogram<ModelLabel>;
  readonly modelLoadFailures: Counter<ModelLabel>;
  readonly rejections: Counter<ModelLabel | 'reason'>;
  readonly shadowRequests: Counter<ModelLabel | 'outcome'>;
  readonly featureLookups: Counter<'model' | 'result'>;
  readonly featureAge: Histogram<'model'>;
  /** One model version's request-path series, resolved once per version. */
  readonly byVersion = new PerVersion((model, version) => new VersionSeries(this, model, version));

  constructor(readonly registry: Registry) {
    this.requests = defineCounterTally(registry, {
      ...METRICS.requests,
      help: 'Inference requests answered, by HTTP status (a gRPC call counts as its HTTP equivalent) and protocol.',
    });
    this.requestDuration = defineHistogramTally(registry, {
      ...METRICS.requestDuration,
      help: 'Time from request arrival to response, for inference requests, by protocol.',
      buckets: LATENCY_BUCKETS,
    });
    this.queueDuration = defineHistogramTally(registry, {
      ...METRICS.queueDuration,
      help: 'Time a request waited in its model version batch queue.',
      buckets: LATENCY_BUCKETS,
    });
    this.computeDuration = defineHistogramTally(registry, {
      ...METRICS.computeDuration,
      help: 'onnxruntime execution time per batch.',
      buckets: LATENCY_BUCKETS,
    });
    this.batchSize = defineHistogramTally(registry, {
      ...METRICS.batchSize,
      help: 'Rows per executed batch.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    });
    this.queueDepth = defineGaugeTally(registry, {
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

interface ProtocolSeries {
  duration: HistogramSeries<ModelLabel | 'protocol'>;
  byStatus: Map<number, CounterSeries<ModelLabel | 'status' | 'protocol'>>;
}

/**
 * A model version's series on the request path. Label objects are written in the order the
 * callers used to pass them, which is the order /metrics prints them in.
 */
export class VersionSeries {
  readonly batchSize: HistogramSeries<ModelLabel>;
  readonly computeDuration: HistogramSeries<ModelLabel>;
  readonly queueDuration: HistogramSeries<ModelLabel>;
  readonly queueDepth: GaugeSeries<ModelLabel>;
  private readonly byProtocol = new Map<string, ProtocolSeries>();

  constructor(
    private readonly metrics: ServiceMetrics,
    private readonly model: string,
    private readonly versionLabel: string,
  ) {
    const labels = { model, version: versionLabel };
    this.batchSize = metrics.batchSize.series(labels);
    this.computeDuration = metrics.computeDuration.series(labels);
    this.queueDuration = metrics.queueDuration.series(labels);
    this.queueDepth = metrics.queueDepth.series(labels);
  }

  /** One answered inference request: `inference_requests_total` and its duration. */
  answered(protocol: string, status: number, seconds: number): void {
    const { model, versionLabel: version } = this;
    let p = this.byProtocol.get(protocol);
    if (!p) {
      const duration = this.metrics.requestDuration.series({ model, version, protocol });
      this.byProtocol.set(protocol, (p = { duration, byStatus: new Map() }));
    }
    let counter = p.byStatus.get(status);
    if (!counter) {
      counter = this.metrics.requests.series({ model, version, status: String(status), protocol });
      p.byStatus.set(status, counter);
    }
    counter.inc();
    p.duration.observe(seconds);
  }
}
