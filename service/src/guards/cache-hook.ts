import { HEADERS } from '@ml-platform/contract/names';
import type { InferResult } from '../core/engine';
import { badRequest } from '../core/errors';
import type { Tensor } from '../core/tensor';
import type { Settle } from '../core/settle';
import type { AroundHook, Execution, Executor, InferCallContext, ServingVersion } from '../pipeline/phases';
import { executionResult } from '../pipeline/run';
import { predictionCacheKey } from './cache-key';
import type { CacheAnswer, PredictionCache } from './prediction-cache';
import { servingOf, type ServingEngine } from './serving';

/** The OIP request parameter `"cache": false` opts a request out of the prediction cache. */
export function cacheAllowedBy(parameters: Record<string, unknown>): boolean {
  const p = parameters.cache;
  if (p === undefined) return true;
  if (typeof p !== 'boolean')
    throw badRequest(`parameters.cache must be a boolean, got ${JSON.stringify(p)}`);
  return p;
}

/** The answer to `outputs`, from a result that holds every output (a cached one). */
export function selectOutputs(result: InferResult, wanted: string[] | undefined, model: string): InferResult {
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
 * The prediction cache around the executor, for models whose config enables it and requests that
 * do not opt out. It keys by model, serving version and inputs, so a cacheable miss asks the
 * executor for every output and answers the requested ones from that. Sets `x-cache`.
 */
export function predictionCacheHook(deps: { engine: ServingEngine; cache: PredictionCache }): AroundHook {
  return (exec, next, settle) => {
    const allowed = cacheAllowedBy(exec.call.decoded.parameters);
    const serving = servingOf(exec, deps.engine);
    // Most traffic of an uncached model passes here: one object, no promise.
    if (!allowed || !serving.config.cache.enabled) next(exec, new Bypassed(exec.call, settle));
    else throughCache(deps.cache, exec, next, serving, settle);
  };
}

/** A request the cache let by: answered with `x-cache: bypass` once it succeeds. */
class Bypassed implements Settle<InferResult> {
  constructor(
    private readonly call: InferCallContext,
    private readonly settle: Settle<InferResult>,
  ) {}

  resolve(result: InferResult): void {
    this.call.setHeader(HEADERS.cache, 'bypass');
    this.settle.resolve(result);
  }

  reject(error: unknown): void {
    this.settle.reject(error);
  }
}

/** A cacheable request: answered from a tier, or computed once for every identical one in flight. */
function throughCache(
  cache: PredictionCache,
  exec: Execution,
  next: Executor,
  { config, version }: ServingVersion,
  settle: Settle<InferResult>,
): void {
  const { model } = exec.call;
  const { request } = exec;
  cache.answer(
    predictionCacheKey(model, version, request.inputs),
    { model, version },
    { ttlSeconds: config.cache.ttl_seconds },
    // Fields spelt out: the front door's execution is a class instance with more than these.
    () =>
      executionResult(next, {
        call: exec.call,
        request: { ...request, outputs: undefined },
        serving: exec.serving,
      }),
    new Cached(exec.call, request.outputs, settle),
  );
}

/** A cacheable request's answer: its `x-cache` header, then the outputs it asked for. */
class Cached implements Settle<CacheAnswer> {
  constructor(
    private readonly call: InferCallContext,
    private readonly wanted: string[] | undefined,
    private readonly settle: Settle<InferResult>,
  ) {}

  resolve({ result, outcome }: CacheAnswer): void {
    this.call.setHeader(HEADERS.cache, outcome);
    let selected: InferResult;
    try {
      selected = selectOutputs(result, this.wanted, this.call.model);
    } catch (error) {
      return this.settle.reject(error);
    }
    this.settle.resolve(selected);
  }

  reject(error: unknown): void {
    this.settle.reject(error);
  }
}
