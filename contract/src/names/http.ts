/** URL paths of the service's HTTP API that the platform probes, scrapes or calls by name. */
export const PATHS = {
  live: '/v2/health/live',
  ready: '/v2/health/ready',
  server: '/v2',
  repositoryIndex: '/v2/repository/index',
  metrics: '/metrics',
  openapi: '/openapi.json',
  console: '/console',
  consoleStatus: '/v2/console/status',
} as const;

/**
 * Header names, lower-case as node:http reports them (HTTP header names are case-insensitive).
 */
export const HEADERS = {
  /** Echoed, or generated when absent or unusable. */
  requestId: 'x-request-id',
  /** Binary tensor data extension: byte length of the JSON part of a request or response body. */
  inferenceHeaderContentLength: 'inference-header-content-length',
  /** Which traffic variant (stable, canary, an A/B name) answered an unversioned infer URL. */
  modelVariant: 'x-model-variant',
  /** How the prediction cache took part: hit-memory, hit-redis, miss or bypass. */
  cache: 'x-cache',
  /** What produced the answer: primary, cache or fallback:<model>. */
  servedBy: 'x-served-by',
  apiKey: 'x-api-key',
  authorization: 'authorization',
  wwwAuthenticate: 'www-authenticate',
  retryAfter: 'retry-after',
  rateLimitLimit: 'ratelimit-limit',
  rateLimitRemaining: 'ratelimit-remaining',
  rateLimitReset: 'ratelimit-reset',
  /** `defaults`: /predict's online feature store was down or slow, so entity features took their defaults. */
  featureFallback: 'x-feature-fallback',
} as const;
