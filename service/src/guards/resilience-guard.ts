import { HEADERS } from '@ml-platform/contract/names';
import type { Logger } from 'pino';
import type { InferRequest, InferResult } from '../core/engine';
import { badRequest, ServiceError, unavailable } from '../core/errors';
import type { Tensor } from '../core/tensor';
import type { Engine } from '../engine';
import type { Guard, InferCallContext } from '../http/guard';
import type { ModelConfig } from '../repository/model-config';
import { predictionCacheKey } from './cache-key';
import {
  BreakerOpenError,
  ClientDeadlineError,
  countsAsModelFailure,
  type ModelBreakers,
} from './model-breakers';
import type { CacheOutcome, PredictionCache } from './prediction-cache';

/** What the `x-served-by` header says: the model asked for, its fallback model, or a cached answer. */
export type ServedBy = 'primary' | 'cache' | `fallback:${string}`;

export interface GuardedOutcome {
  result: InferResult;
  cache: CacheOutcome;
  servedBy: ServedBy;
}

export interface ResilienceDeps {
  engine: Pick<Engine, 'infer' | 'modelConfig' | 'servingVersion'>;
  breakers: ModelBreakers;
  cache?: PredictionCache;
  logger?: Logger;
  /** REQUEST_TIMEOUT_MS: a client `timeout` below it makes a missed deadline the client's choice. */
  requestTimeoutMs?: number;
}

/** The OIP request parameter `"cache": false` opts a request out of the prediction cache. */
export function cacheAllowedBy(parameters: Record<string, unknown>): boolean {
  const p = parameters.cache;
  if (p === undefined) return true;
  if (typeof p !== 'boolean')
    throw badRequest(`parameters.cache must be a boolean, got ${JSON.stringify(p)}`);
  return p;
}

function blameClientDeadline(err: unknown): never {
  throw err instanceof ServiceError && err.status === 504 ? new ClientDeadlineError(err) : err;
}

/** The answer to `outputs`, from a result that holds every output (a cached one). */
function selectOutputs(result: InferResult, wanted: string[] | undefined, model: string): InferResult {
  if (!wanted) return result;
  const outputs = wanted.map((name): Tensor => {
    const found = result.outputs.find((o) => o.name === name);
    if (!found)
      throw badRequest(
        `requested output '${name}' is not an output of model '${model}' (outputs: ${result.outputs.map((o) => o.name).join(', ')})`,
      );
    return found;
  });
  return { ...result, outputs };
}

/**
 * Cache, circuit breaker and fallback chain around the engine (steps 6 and 9 of DESIGN.md):
 *
 *   cache hit ─────────────────────────────────────────────► answer (x-cache: hit-memory|hit-redis)
 *   miss ─► primary through its version's breaker ─► ok ───► answer, stored (x-cache: miss)
 *                      │ 5xx, or breaker open
 *                      ▼
 *            fallback model (config.fallback.model) ──► ok ─► answer (x-served-by: fallback:<model>)
 *                      │ failed / none
 *            cached answer (config.fallback.use_cache) ─► hit ─► answer (x-served-by: cache)
 *                      │ none
 *                      ▼
 *            503 + Retry-After naming the model
 *
 * It must be the last guard: it calls the engine itself, because it pins the version for the
 * cache key and the breaker, asks cacheable requests for every output (the key ignores which
 * outputs were requested), and runs the fallback model.
 */
export class ResilienceGuard implements Guard {
  constructor(private readonly deps: ResilienceDeps) {}

  async execute(call: InferCallContext, request: InferRequest): Promise<InferResult> {
    const asked = call.decoded.timeoutMs;
    const clientDeadline = asked !== undefined && asked < (this.deps.requestTimeoutMs ?? Infinity);
    // `call.version` is the URL's version or the one traffic routing chose (step 5); undefined
    // leaves it to the engine's default, the newest ready version.
    const outcome = await this.infer(call.model, call.version, request, {
      cacheAllowed: cacheAllowedBy(call.decoded.parameters),
      clientDeadline,
    });
    call.setHeader(HEADERS.cache, outcome.cache);
    call.setHeader(HEADERS.servedBy, outcome.servedBy);
    return outcome.result;
  }

  async infer(
    model: string,
    version: string | undefined,
    request: InferRequest,
    {
      cacheAllowed = true,
      clientDeadline = false,
    }: { cacheAllowed?: boolean; clientDeadline?: boolean } = {},
  ): Promise<GuardedOutcome> {
    const { engine, breakers, cache } = this.deps;
    const config = engine.modelConfig(model);
    // Resolved on every request, never remembered: an unloaded model must not answer from the cache.
    const resolved = engine.servingVersion(model, version);
    const labels = { model, version: resolved };
    // A request that opted out (`"cache": false`) skips the lookup and the store, but when the model
    // is failing a cached answer still beats a 503; its key is only worked out then.
    const caches = cache !== undefined && config.cache.enabled;
    const keyOf = () => predictionCacheKey(model, resolved, request.inputs);
    const cacheable = caches && cacheAllowed;
    const key = cacheable ? keyOf() : undefined;
    const run = () => engine.infer(model, version, cacheable ? { ...request, outputs: undefined } : request);
    const primary = () =>
      breakers.fire(model, resolved, config.circuit_breaker, () =>
        clientDeadline ? run().catch(blameClientDeadline) : run(),
      );
    try {
      if (!cacheable) return { result: await primary(), cache: 'bypass', servedBy: 'primary' };
      const hit = await cache!.getOrCompute(key!, labels, { ttlSeconds: config.cache.ttl_seconds }, primary);
      return {
        result: selectOutputs(hit.result, request.outputs, model),
        cache: hit.outcome,
        servedBy: 'primary',
      };
    } catch (err) {
      const failedModel = err instanceof BreakerOpenError || countsAsModelFailure(err);
      const deadlinePassed = err instanceof ServiceError && err.status === 504;
      if (!failedModel || deadlinePassed || !config.fallback) throw err;
      return this.fallback(model, resolved, config, request, caches ? (key ?? keyOf()) : undefined, err);
    }
  }

  private async fallback(
    model: string,
    version: string,
    config: ModelConfig,
    request: InferRequest,
    key: string | undefined,
    failure: unknown,
  ): Promise<GuardedOutcome> {
    const { engine, breakers, cache, logger } = this.deps;
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
    if (fb.use_cache && cache && key) {
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
}
