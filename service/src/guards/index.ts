import type { Logger } from 'pino';
import type { ServiceConfig } from '../config/env';
import type { Engine } from '../engine';
import type { Guard } from '../http/guard';
import type { ServiceMetrics } from '../observability/metrics';
import { RedisConnection } from '../redis/connection';
import { AdmissionGuard } from './admission-guard';
import { ApiKeyAuth } from './auth';
import { LoadShedder, LoadShedGuard } from './load-shedder';
import { ModelBreakers } from './model-breakers';
import { PredictionCache } from './prediction-cache';
import { RateLimiter } from './rate-limit';
import { ReplicaCount } from './replica-count';
import { ResilienceGuard } from './resilience-guard';

export interface GuardContext {
  engine: Engine;
  metrics: ServiceMetrics;
  logger: Logger;
  config: ServiceConfig;
}

export interface ProductionGuards {
  /** In request order: load shedding, auth + rate limit, then cache / breaker / fallback (last). */
  guards: Guard[];
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
  const guards: Guard[] = [
    new LoadShedGuard(new LoadShedder(config.MAX_IN_FLIGHT, { registry })),
    new AdmissionGuard({
      auth,
      limiter,
      defaultLimit: rps === undefined ? undefined : { rps, burst: config.RATE_LIMIT_BURST ?? Math.ceil(rps) },
    }),
    // Last: it runs the engine itself. Guards that wrap `next` (drift) go before it.
    new ResilienceGuard({
      engine,
      breakers,
      cache,
      logger: log,
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    }),
  ];
  return {
    guards,
    redis,
    async close() {
      await cache.flush();
      await replicas?.stop();
      breakers.shutdown();
      await redis?.close();
    },
  };
}
