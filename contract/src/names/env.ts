/**
 * Every environment variable the service reads: its public configuration interface. The service
 * validates each one (service/src/config/env.ts); the pod template sets them by these names.
 */
export const ENV = {
  PORT: 'PORT',
  GRPC_PORT: 'GRPC_PORT',
  HOST: 'HOST',
  MODEL_REPOSITORY: 'MODEL_REPOSITORY',
  REDIS_URL: 'REDIS_URL',
  FEATURE_STORE_URL: 'FEATURE_STORE_URL',
  FEATURE_LOOKUP_TIMEOUT_MS: 'FEATURE_LOOKUP_TIMEOUT_MS',
  API_KEYS: 'API_KEYS',
  API_KEYS_FILE: 'API_KEYS_FILE',
  RATE_LIMIT_RPS: 'RATE_LIMIT_RPS',
  RATE_LIMIT_BURST: 'RATE_LIMIT_BURST',
  REQUEST_TIMEOUT_MS: 'REQUEST_TIMEOUT_MS',
  LOG_LEVEL: 'LOG_LEVEL',
  MAX_BODY_BYTES: 'MAX_BODY_BYTES',
  WORKERS: 'WORKERS',
  ORT_THREADS: 'ORT_THREADS',
  MAX_IN_FLIGHT: 'MAX_IN_FLIGHT',
  CACHE_MEMORY_BYTES: 'CACHE_MEMORY_BYTES',
  SHUTDOWN_TIMEOUT_MS: 'SHUTDOWN_TIMEOUT_MS',
  /** What the pod costs per hour in USD, set by infra; the service attributes it to model versions. */
  POD_COST_PER_HOUR_USD: 'POD_COST_PER_HOUR_USD',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  OTEL_SERVICE_NAME: 'OTEL_SERVICE_NAME',
  OTEL_SDK_DISABLED: 'OTEL_SDK_DISABLED',
} as const;
export type EnvName = keyof typeof ENV;

/** Variables whose values are secrets: set from a Secret, never echoed, not even in a validation error. */
export const SECRET_ENV: readonly EnvName[] = [ENV.API_KEYS, ENV.REDIS_URL, ENV.FEATURE_STORE_URL];

/**
 * Fewest shared onnxruntime threads a service process runs: with two, one slow model cannot stall
 * the others (service/src/runtime/session-pool.ts). The workload never sizes ORT_THREADS below it.
 */
export const MIN_ORT_THREADS = 2;
