import type { Logger } from 'pino';
import type { ServiceConfig } from '../config/env';
import type { Engine } from '../engine';
import type { AdmitHook, AroundHook } from '../pipeline/phases';
import type { ServiceMetrics } from '../observability/metrics';
import { RedisConnection } from '../redis/connection';
import { admissionHook } from './admission-guard';
import { ApiKeyAuth } from './auth';
import { circuitBreakerHook } from './breaker-hook';
import { predictionCacheHook } from './cache-hook';
import { fallbackChainHook } from './fallback-chain';
import { LoadShedder, loadSheddingHook } from './load-shedder';
import { ModelBreakers } from './model-breakers';
import { PredictionCache } from './prediction-cache';
import { RateLimiter } from './rate-limit';
import { ReplicaCount } from './replica-count';

export interface GuardContext {
  engine: Engine;
  metrics: ServiceMetrics;
  logger: Logger;
  config: ServiceConfig;
}

/** The production guards by name; service/src/request-pipeline.ts puts each in its phase. */
export interface ProductionGuards {
  /** admit: the in-flight bound. */
  shedding: AdmitHook;
  /** admit: API key auth, then rate limit. */
  admission: AdmitHook;
  /** around: fallback model, then a cached answer, when the model fails or its breaker is open. */
  fallback: AroundHook;
  /** around: the prediction cache. */
  cache: AroundHook;
  /** around: the serving version's circuit breaker. */
  breaker: AroundHook;
  /** The shared Redis connection (REDIS_URL), for other parts that share state across replicas. */
  redis?: RedisConnection;
  /** After the drain: flush cache writes, leave the replica set, close Redis. */
  close(): Promise<void>;
}

/**
 * Builds the guards from the validated environment. Works with no Redis at all (in-process cache,
 * per-process limits); with REDIS_URL it shares cache and limits across replicas, and a Redis
 * outage only degrades it (see RedisConnection).
 */
export function createProductionGuards({ engine, metrics, logger, config }: GuardContext): ProductionGuards {
  const registry = metrics.registry;
  const log = logger.child({ component: 'guards' });
  const auth = ApiKeyAuth.fromEnv(config);
  const redis = config.REDIS_URL
    ? new RedisConnection({ url: config.REDIS_URL, logger: log, registry })
    : undefined;
  const replicas = redis ? new ReplicaCount(redis) : undefined;
  replicas?.start();
  const rps = config.RATE_LIMIT_RPS;
  // Without Redis the budget is per replica, split between its WORKERS processes.
  const limiter = new RateLimiter({ redis, registry, replicas: () => replicas?.value ?? config.WORKERS });
  const cache = new PredictionCache({ maxMemoryBytes: config.CACHE_MEMORY_BYTES, redis, registry });
  const breakers = new ModelBreakers({ registry, logger: log });
  return {
    shedding: loadSheddingHook(new LoadShedder(config.MAX_IN_FLIGHT, { registry })),
    admission: admissionHook({
      auth,
      limiter,
      defaultLimit: rps === undefined ? undefined : { rps, burst: config.RATE_LIMIT_BURST ?? Math.ceil(rps) },
    }),
    fallback: fallbackChainHook({ engine, breakers, cache, logger: log }),
    cache: predictionCacheHook({ engine, cache }),
    breaker: circuitBreakerHook({ engine, breakers, requestTimeoutMs: config.REQUEST_TIMEOUT_MS }),
    redis,
    async close() {
      await cache.flush();
      await replicas?.stop();
      breakers.shutdown();
      await redis?.close();
    },
  };
}
