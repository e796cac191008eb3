/**
 * The Prometheus metrics the service exports, with their type and label names: what alert rules,
 * dashboards, autoscaling triggers and rollout analysis may query. Names carry base units
 * (`_seconds`, `_bytes`), counters end in `_total`, and labels stay bounded: model and version plus
 * small fixed sets (an HTTP status, a cache tier), never ids or raw input.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricContract<L extends string = string> {
  name: string;
  type: MetricType;
  labelNames: readonly L[];
}

const metric = <const L extends string>(name: string, type: MetricType, labelNames: readonly L[]) =>
  ({ name, type, labelNames }) satisfies MetricContract<L>;

export const LABELS = {
  model: 'model',
  version: 'version',
  /** The HTTP status code of the answer. */
  status: 'status',
  reason: 'reason',
  outcome: 'outcome',
  /** Prediction cache tier: memory or redis. */
  tier: 'tier',
  operation: 'operation',
  store: 'store',
  /** A /predict entity feature lookup: hit, miss, stale or error. */
  result: 'result',
  /** A classifier's predicted class index (at most 100 classes). */
  class: 'class',
  /** A model rollout decision: start, step, promote, rollback, pause, resume. */
  kind: 'kind',
  /** The primary and the shadow version whose answers were compared. */
  primary: 'primary',
  shadow: 'shadow',
  /** Which front door answered an inference: rest or grpc. */
  protocol: 'protocol',
} as const;

export const MODEL_LABELS = [LABELS.model, LABELS.version] as const;
const byModel = <const L extends string>(...more: L[]) => [...MODEL_LABELS, ...more] as const;

export const METRICS = {
  /** Inference requests answered, by HTTP status (a gRPC call counts as its HTTP equivalent) and protocol. */
  requests: metric('inference_requests_total', 'counter', byModel(LABELS.status, LABELS.protocol)),
  /** Arrival to response of an inference request. */
  requestDuration: metric('inference_request_duration_seconds', 'histogram', byModel(LABELS.protocol)),
  queueDuration: metric('inference_queue_duration_seconds', 'histogram', MODEL_LABELS),
  computeDuration: metric('inference_compute_duration_seconds', 'histogram', MODEL_LABELS),
  /** Rows per executed batch. */
  batchSize: metric('inference_batch_size', 'histogram', MODEL_LABELS),
  /** Requests waiting in a version's batch queue. */
  queueDepth: metric('inference_queue_depth', 'gauge', MODEL_LABELS),
  modelLoadDuration: metric('model_load_duration_seconds', 'histogram', MODEL_LABELS),
  modelLoadFailures: metric('model_load_failures_total', 'counter', MODEL_LABELS),
  /** Answered without running: `reason` queue_full (503) or deadline (504). */
  rejections: metric('inference_rejections_total', 'counter', byModel(LABELS.reason)),
  /** Shadow copies by `outcome` (ok, error). */
  shadowRequests: metric('inference_shadow_requests_total', 'counter', byModel(LABELS.outcome)),
  /** 1 while the shared Redis is usable, 0 while the service runs on local state. */
  redisUp: metric('redis_up', 'gauge', []),
  /** Largest per-feature PSI of the last complete window of inputs against the reference profile. */
  driftScore: metric('drift_score', 'gauge', MODEL_LABELS),
  /** The pod's cost attributed to a version: onnxruntime busy time by compute, idle time by requests. */
  cost: metric('inference_cost_usd_total', 'counter', MODEL_LABELS),
  /** onnxruntime's run time of a version's batches, timed on the thread that runs them. */
  runtimeBusy: metric('inference_runtime_busy_seconds_total', 'counter', MODEL_LABELS),
  /** A classifier's top-1 score per answered row (fixed buckets). */
  confidence: metric('model_confidence', 'histogram', MODEL_LABELS),
  /** PSI of the top-1 score distribution against the version's held-out reference. */
  confidenceShift: metric('model_confidence_shift', 'gauge', MODEL_LABELS),
  /** A classifier's answered rows by predicted `class`. */
  predictedClass: metric('model_predicted_class_total', 'counter', byModel(LABELS.class)),
  /** PSI of the predicted-class shares against the version's held-out reference. */
  predictionDrift: metric('model_prediction_drift', 'gauge', MODEL_LABELS),
  /** 0 closed, 1 half-open, 2 open. */
  breakerState: metric('model_circuit_breaker_state', 'gauge', MODEL_LABELS),
  /**
   * By `tier` (memory, redis). A lookup that misses memory and hits Redis counts once in each, so
   * lookups = hits + misses of tier="memory".
   */
  cacheHits: metric('prediction_cache_hits_total', 'counter', byModel(LABELS.tier)),
  cacheMisses: metric('prediction_cache_misses_total', 'counter', byModel(LABELS.tier)),
  cacheCoalesced: metric('prediction_cache_coalesced_total', 'counter', MODEL_LABELS),
  cacheMalformedEntries: metric('prediction_cache_malformed_entries_total', 'counter', [LABELS.tier]),
  /** By `operation` (get, set). */
  cacheRedisErrors: metric('prediction_cache_redis_errors_total', 'counter', [LABELS.operation]),
  cacheMemoryBytes: metric('prediction_cache_memory_bytes', 'gauge', []),
  inFlight: metric('inference_in_flight_requests', 'gauge', []),
  loadShed: metric('load_shed_total', 'counter', []),
  /** By the `store` that decided: redis (global budget) or local (per-replica fallback). */
  rateLimitRejections: metric('rate_limit_rejections_total', 'counter', [LABELS.store]),
  /** /predict's entity feature lookups by `result`: hit, miss, stale or error (default used). */
  featureLookups: metric('feature_lookup_total', 'counter', [LABELS.model, LABELS.result]),
  featureAge: metric('feature_age_seconds', 'histogram', [LABELS.model]),
  /** A version's role in its model rollout: 0 stable, 1 canary, 2 promoted, 3 rolled back. */
  rolloutState: metric('model_rollout_state', 'gauge', MODEL_LABELS),
  /** The traffic share (%) the model rollout sends to a version. */
  rolloutWeight: metric('model_rollout_weight', 'gauge', MODEL_LABELS),
  /** Rollout decisions by `kind`: start, step, promote, rollback, pause, resume. */
  rolloutDecisions: metric('model_rollout_decisions_total', 'counter', [LABELS.model, LABELS.kind]),
  /** Rows on which a shadow version agreed with the primary, over rows compared, since start. */
  shadowAgreement: metric('model_shadow_agreement_ratio', 'gauge', [
    LABELS.model,
    LABELS.primary,
    LABELS.shadow,
  ]),
  /** 1 per serving process: summed across node:cluster workers, the worker count (the console's). */
  workerProcesses: metric('service_worker_processes', 'gauge', []),
} as const;
export type MetricKey = keyof typeof METRICS;

/** The sample series of a histogram family that queries select on. */
export const histogramSeries = (m: MetricContract) => ({
  bucket: `${m.name}_bucket`,
  sum: `${m.name}_sum`,
  count: `${m.name}_count`,
});
