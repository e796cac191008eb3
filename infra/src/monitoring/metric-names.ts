/**
 * The inference service's Prometheus metric and label names: the one place alert rules, dashboards,
 * autoscaling triggers and rollout analysis take them from. They must match what service/ exports.
 */
export const METRICS = {
  /** Counter, labels model, version, status (the HTTP status code). */
  requests: 'inference_requests_total',
  /** Histogram buckets of end-to-end request duration, labels model, version, le. */
  requestDurationBucket: 'inference_request_duration_seconds_bucket',
  /** Gauge: requests waiting in the version's batch queue, labels model, version. */
  queueDepth: 'inference_queue_depth',
  /** Gauge 1/0: the service can reach its Redis. */
  redisUp: 'redis_up',
  /** Gauge: drift statistic of recent inputs against the model's reference profile, labels model, version. */
  driftScore: 'drift_score',
  /**
   * Gauge: a version's role in its model rollout, labels model, version: 0 stable, 1 canary,
   * 2 promoted, 3 rolled back (service/src/rollout/rollout-service.ts).
   */
  rolloutState: 'model_rollout_state',
  /** Histogram buckets of executed batch sizes, labels model, version, le. */
  batchSizeBucket: 'inference_batch_size_bucket',
  /**
   * Prediction-cache counters, labels model, version, tier (memory, redis). A lookup that misses
   * memory and hits Redis counts once in each, so lookups = hits + misses of tier="memory".
   */
  cacheHits: 'prediction_cache_hits_total',
  cacheMisses: 'prediction_cache_misses_total',
  /** DCGM exporter: GPU utilisation in percent, per GPU. */
  gpuUtilisation: 'DCGM_FI_DEV_GPU_UTIL',
} as const;

export const LABELS = {
  model: 'model',
  version: 'version',
  status: 'status',
  /** Copied from the pod label by the ServiceMonitor so rollout analysis can select canary pods. */
  podTemplateHash: 'rollouts_pod_template_hash',
} as const;

/** Server-side failures count against the SLA; 4xx are the client's (and 429 is the rate limiter). */
export const ERROR_STATUS_REGEX = '5..';
