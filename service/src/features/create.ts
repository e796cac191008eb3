import type { Logger } from 'pino';
import type { ServiceConfig } from '../config/env';
import { ServiceError } from '../core/errors';
import type { Engine } from '../engine';
import type { ServiceMetrics } from '../observability/metrics';
import { RedisConnection } from '../redis/connection';
import { OnlineStore } from './online-store';
import { FeatureServing } from './serving';

/**
 * /predict's feature serving from the environment. The store gets its own connection (it may be a
 * different Redis than the guards'), with the lookup timeout as its command timeout; without
 * FEATURE_STORE_URL or REDIS_URL every entity feature takes its default.
 */
export function createFeatureServing(ctx: {
  config: ServiceConfig;
  engine: Engine;
  metrics: ServiceMetrics;
  logger: Logger;
}): { serving: FeatureServing; close(): Promise<void> } {
  const url = ctx.config.FEATURE_STORE_URL ?? ctx.config.REDIS_URL;
  const timeout = ctx.config.FEATURE_LOOKUP_TIMEOUT_MS;
  const redis = url
    ? new RedisConnection({
        url,
        logger: ctx.logger.child({ component: 'features' }),
        commandTimeoutMs: timeout,
        messages: {
          up: 'feature store up: /predict reads entity features from it',
          down: 'feature store down: /predict answers with entity feature defaults',
        },
      })
    : undefined;
  const serving = new FeatureServing({
    repositoryPath: ctx.config.MODEL_REPOSITORY,
    engine: ctx.engine,
    store: redis && new OnlineStore(redis),
    metrics: ctx.metrics,
    lookupTimeoutMs: timeout,
  });
  // Check every shipped spec against its model's signature once the models are loaded, so that a
  // bad features.json shows in the start-up log rather than at the first /predict.
  const log = ctx.logger.child({ component: 'features' });
  void ctx.engine.loaded.then(() => {
    for (const name of new Set(
      ctx.engine
        .index()
        .filter((e) => e.state === 'READY')
        .map((e) => e.name),
    )) {
      try {
        serving.spec(name);
      } catch (err) {
        if (!(err instanceof ServiceError && err.status === 404))
          log.error({ model: name, err }, 'features.json rejected');
      }
    }
  });
  return { serving, close: async () => redis?.close() };
}
