import { HEADERS } from '@ml-platform/contract/names';
import type { Logger } from 'pino';
import type { InferRequest, InferResult } from '../core/engine';
import { ServiceError, unavailable } from '../core/errors';
import type { Engine } from '../engine';
import type { Settle } from '../core/settle';
import type { AroundHook, Execution, ServingVersion } from '../pipeline/phases';
import type { ModelConfig } from '../repository/model-config';
import { selectOutputs } from './cache-hook';
import { predictionCacheKey } from './cache-key';
import { BreakerOpenError, countsAsModelFailure, type ModelBreakers } from './model-breakers';
import type { CacheOutcome, PredictionCache } from './prediction-cache';
import { servingOf } from './serving';

/** What the `x-served-by` header says: the model asked for, its fallback model, or a cached answer. */
export type ServedBy = 'primary' | 'cache' | `fallback:${string}`;

export interface FallbackDeps {
  engine: Pick<Engine, 'infer' | 'modelConfig' | 'servingVersion'>;
  breakers: ModelBreakers;
  cache?: PredictionCache;
  logger?: Logger;
}

interface Recovered {
  result: InferResult;
  cache: CacheOutcome;
  servedBy: ServedBy;
}

/**
 * The fallback chain, outermost of the around hooks so that it also answers for an open breaker:
 *
 *   next (cache, breaker, engine) ─► ok ──────────────────► answer (x-served-by: primary)
 *        │ the model failed (5xx), or its breaker is open
 *        ▼
 *   fallback model (config.fallback.model) ──► ok ─► answer (x-served-by: fallback:<model>)
 *        │ failed / none
 *   cached answer (config.fallback.use_cache) ─► hit ─► answer (x-served-by: cache)
 *        │ none
 *        ▼
 *   503 + Retry-After naming the model
 *
 * A bad request, or a deadline that has passed, is answered as it is.
 */
export function fallbackChainHook(deps: FallbackDeps): AroundHook {
  return (exec, next, settle) => {
    next(exec, new PrimaryOutcome(deps, exec, servingOf(exec, deps.engine), settle));
  };
}

/** The primary's outcome: its answer as it is, or a failure that the chain answers if it can. */
class PrimaryOutcome implements Settle<InferResult> {
  constructor(
    private readonly deps: FallbackDeps,
    private readonly exec: Execution,
    private readonly serving: ServingVersion,
    private readonly settle: Settle<InferResult>,
  ) {}

  resolve(result: InferResult): void {
    this.exec.call.setHeader(HEADERS.servedBy, 'primary');
    this.settle.resolve(result);
  }

  reject(err: unknown): void {
    const { config, version } = this.serving;
    const failedModel = err instanceof BreakerOpenError || countsAsModelFailure(err);
    const deadlinePassed = err instanceof ServiceError && err.status === 504;
    if (!failedModel || deadlinePassed || !config.fallback) {
      this.settle.reject(err);
      return;
    }
    const { call, request } = this.exec;
    recover(this.deps, call.model, version, config, request, err).then(
      (recovered) => {
        call.setHeader(HEADERS.cache, recovered.cache);
        call.setHeader(HEADERS.servedBy, recovered.servedBy);
        this.settle.resolve(recovered.result);
      },
      (failure: unknown) => this.settle.reject(failure),
    );
  }
}

async function recover(
  deps: FallbackDeps,
  model: string,
  version: string,
  config: ModelConfig,
  request: InferRequest,
  failure: unknown,
): Promise<Recovered> {
  const { engine, breakers, cache, logger } = deps;
  const fb = config.fallback!;
  if (fb.model && performance.now() < request.deadline) {
    try {
      const fbVersion = engine.servingVersion(fb.model, fb.version);
      const result = await breakers.fire(
        fb.model,
        fbVersion,
        engine.modelConfig(fb.model).circuit_breaker,
        () => engine.infer(fb.model!, fb.version, request),
      );
      return { result, cache: 'bypass', servedBy: `fallback:${fb.model}` };
    } catch (err) {
      logger?.warn({ model, fallback: fb.model, err: (err as Error).message }, 'fallback model failed');
    }
  }
  // A request that opted out of the cache still gets a cached answer here: it beats a 503.
  if (fb.use_cache && cache && config.cache.enabled) {
    const key = predictionCacheKey(model, version, request.inputs);
    const hit = await cache.lookup(key, { model, version }, config.cache.ttl_seconds);
    if (hit)
      return {
        result: selectOutputs(hit.result, request.outputs, model),
        cache: hit.tier === 'memory' ? 'hit-memory' : 'hit-redis',
        servedBy: 'cache',
      };
  }
  const retryAfter = failure instanceof BreakerOpenError ? failure.retryAfterSeconds : 1;
  throw unavailable(
    `model '${model}' version ${version} failed and its fallback chain had no answer`,
    retryAfter,
  );
}
