import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createEngine, type Engine } from '../src/engine';
import type { InferRequest } from '../src/core/engine';
import { ServiceError } from '../src/core/errors';
import { circuitBreakerHook } from '../src/guards/breaker-hook';
import { cacheAllowedBy, predictionCacheHook } from '../src/guards/cache-hook';
import { fallbackChainHook } from '../src/guards/fallback-chain';
import { ModelBreakers } from '../src/guards/model-breakers';
import { PredictionCache } from '../src/guards/prediction-cache';
import type { Executor, InferCallContext } from '../src/pipeline/phases';
import type { DecodedInferRequest } from '../src/protocol/infer-request';
import { composeExecution, executionResult } from '../src/pipeline/run';
import { BUNDLED_MODELS, FIXTURE_MODELS, makeModelRepo } from '../../test/support/model-repo';

const breaker = {
  error_threshold_percentage: 50,
  volume_threshold: 4,
  reset_timeout_ms: 400,
  rolling_count_timeout_ms: 5000,
};
const flaky = join(FIXTURE_MODELS, 'flaky');

const request = (index: number, extra: Partial<InferRequest> = {}): InferRequest => ({
  inputs: [{ name: 'index', datatype: 'INT64', shape: [1, 1], data: new BigInt64Array([BigInt(index)]) }],
  deadline: performance.now() + 5000,
  ...extra,
});
const valueOf = (r: { outputs: { data: unknown }[] }) => (r.outputs[0].data as Float32Array)[0];

/** A decoded request as the around hooks see it; `"cache": false` opts out of the cache. */
const decodedFor = (inputs: InferRequest['inputs'], cacheAllowed: boolean): DecodedInferRequest => ({
  parameters: cacheAllowed ? {} : { cache: false },
  inputs,
  binaryOutputs: false,
});

describe('fallback chain, prediction cache and circuit breaker around the engine, on real models', () => {
  let repo: ReturnType<typeof makeModelRepo>;
  let engine: Engine;
  let registry: Registry;
  let breakers: ModelBreakers;
  let execute: Executor;

  /**
   * One inference through the around hooks in request-pipeline.ts's order; `clientDeadline` marks the
   * request's deadline as the client's own (a `timeout` below REQUEST_TIMEOUT_MS).
   */
  async function infer(
    model: string,
    version: string | undefined,
    req: InferRequest,
    { cacheAllowed = true, clientDeadline = false } = {},
  ) {
    const headers: Record<string, string> = {};
    const call: InferCallContext = {
      requestId: 'r',
      scope: 'infer',
      headers: {},
      model,
      version,
      setHeader: (n, v) => (headers[n] = v),
      decoded: decodedFor(req.inputs, cacheAllowed),
    };
    const result = await executionResult(execute, {
      call,
      request: clientDeadline ? { ...req, timeoutMs: 1 } : req,
    });
    return { result, cache: headers['x-cache'], servedBy: headers['x-served-by'] };
  }

  beforeAll(async () => {
    repo = makeModelRepo([
      {
        name: 'flaky',
        from: flaky,
        config: { circuit_breaker: breaker, fallback: { model: 'flaky-fallback', use_cache: false } },
      },
      { name: 'flaky-fallback', from: join(FIXTURE_MODELS, 'flaky-fallback') },
      { name: 'bare', from: flaky, config: { circuit_breaker: breaker, fallback: undefined } },
      { name: 'slow', from: join(FIXTURE_MODELS, 'slow'), config: { circuit_breaker: breaker } },
      {
        name: 'two-versions',
        from: join(BUNDLED_MODELS, 'breast-cancer'),
        versions: ['1', '2'],
        config: { traffic: undefined, drift: undefined, fallback: undefined },
      },
      {
        name: 'cached',
        from: flaky,
        config: {
          circuit_breaker: breaker,
          cache: { enabled: true, ttl_seconds: 60 },
          fallback: { use_cache: true },
        },
      },
    ]);
    engine = createEngine({ repositoryPath: repo.path });
    await engine.loaded;
    expect(engine.isReady()).toBe(true);
  });
  afterAll(async () => {
    await engine?.close();
    repo?.cleanup();
  });
  beforeEach(() => {
    registry = new Registry();
    breakers = new ModelBreakers({ registry });
    const cache = new PredictionCache({ maxMemoryBytes: 1 << 20, registry });
    execute = composeExecution(
      [
        fallbackChainHook({ engine, breakers, cache }),
        predictionCacheHook({ engine, cache }),
        circuitBreakerHook({ engine, breakers, requestTimeoutMs: 30_000 }),
      ],
      (exec, settle) => engine.submit(exec.call.model, exec.call.version, exec.request, settle),
    );
  });
  afterEach(() => breakers.shutdown());

  const breakerGauge = async (model: string) =>
    (await registry.getMetricsAsJSON())
      .find((m) => m.name === 'model_circuit_breaker_state')
      ?.values.find((v) => v.labels.model === model)?.value;

  it('answers from the fallback model while the primary fails, opens, then closes once healthy', async () => {
    const failing = [];
    for (let i = 0; i < 6; i++) failing.push(await infer('flaky', undefined, request(50 + i)));
    // Every request got an answer, from the fallback (table[index mod 10]).
    expect(failing.map((o) => o.servedBy)).toEqual(Array(6).fill('fallback:flaky-fallback'));
    expect(failing.map((o) => valueOf(o.result))).toEqual(
      [0, 0.1, 0.2, 0.3, 0.4, 0.5].map((x) => Math.fround(x)),
    );
    expect(breakers.state('flaky', '1')).toBe('open');
    expect(await breakerGauge('flaky')).toBe(2);

    // Open: even a good input is answered by the fallback, without touching the primary.
    expect((await infer('flaky', undefined, request(3))).servedBy).toBe('fallback:flaky-fallback');

    await new Promise((r) => setTimeout(r, 450));
    const probe = await infer('flaky', undefined, request(3));
    expect(probe.servedBy).toBe('primary');
    expect(valueOf(probe.result)).toBeCloseTo(0.3);
    expect(breakers.state('flaky', '1')).toBe('closed');
    expect(await breakerGauge('flaky')).toBe(0);
  });

  it('answers 503 with Retry-After while open when no fallback is configured, and passes errors through before', async () => {
    const errors: ServiceError[] = [];
    for (let i = 0; i < 6; i++) {
      await infer('bare', undefined, request(99)).catch((e: ServiceError) => errors.push(e));
    }
    expect(errors.slice(0, 4).map((e) => e.status)).toEqual([500, 500, 500, 500]);
    expect(errors[5].status).toBe(503);
    expect(errors[5].message).toBe("model 'bare' version 1 is failing and its circuit is open");
    expect(errors[5].retryAfterSeconds).toBe(1);
  });

  it('does not count bad requests against the model', async () => {
    const bad = {
      ...request(1),
      inputs: [{ name: 'index', datatype: 'FP32' as const, shape: [1, 1], data: new Float32Array([1]) }],
    };
    for (let i = 0; i < 8; i++)
      await expect(infer('bare', undefined, bad)).rejects.toMatchObject({ status: 400 });
    expect(breakers.state('bare', '1')).toBe('closed');
  });

  it('caches per model config, honours "cache": false and answers only the requested outputs', async () => {
    expect((await infer('cached', undefined, request(4))).cache).toBe('miss');
    const hit = await infer('cached', undefined, request(4, { outputs: ['value'] }));
    expect(hit).toMatchObject({ cache: 'hit-memory', servedBy: 'primary' });
    expect(valueOf(hit.result)).toBeCloseTo(0.4);
    expect((await infer('cached', undefined, request(4), { cacheAllowed: false })).cache).toBe('bypass');
    await expect(infer('cached', undefined, request(4, { outputs: ['nope'] }))).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("requested output 'nope'"),
    });
    // flaky has no cache section: never cached.
    expect((await infer('flaky', undefined, request(4))).cache).toBe('bypass');
  });

  it('falls back to a cached answer when the model fails and has no fallback model', async () => {
    await infer('cached', undefined, request(2));
    for (let i = 0; i < 6; i++) await infer('cached', undefined, request(70 + i)).catch(() => undefined);
    expect(breakers.state('cached', '1')).toBe('open');
    // The client opted out of the cache, but a failing model's cached answer beats a 503.
    const answer = await infer('cached', undefined, request(2), { cacheAllowed: false });
    expect(answer).toMatchObject({ servedBy: 'cache', cache: 'hit-memory' });
    expect(valueOf(answer.result)).toBeCloseTo(0.2);
    await expect(infer('cached', undefined, request(77), { cacheAllowed: false })).rejects.toMatchObject({
      status: 503,
      message: "model 'cached' version 1 failed and its fallback chain had no answer",
    });
  });

  it('counts missed server deadlines against the model, but not deadlines the client shortened', async () => {
    const late = () => ({
      inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [1, 512], data: new Float32Array(512) }],
      deadline: performance.now() - 1,
    });
    for (let i = 0; i < 6; i++)
      await expect(infer('slow', undefined, late(), { clientDeadline: true })).rejects.toMatchObject({
        status: 504,
      });
    expect(breakers.state('slow', '1')).toBe('closed');
    // The six above count as healthy calls in the rolling window: the seventh miss passes 50%.
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      await infer('slow', undefined, late()).catch((e: ServiceError) => statuses.push(e.status));
    expect(statuses).toEqual([504, 504, 504, 504, 504, 504, 504, 503]);
    expect(breakers.state('slow', '1')).toBe('open');
  });

  it('serves the version the call names (URL or traffic routing), and keys the cache by it', async () => {
    const inputs = [
      { name: 'input', datatype: 'FP32' as const, shape: [1, 30], data: new Float32Array(30).fill(1) },
    ];
    const request = () => ({ inputs, deadline: performance.now() + 5000 });
    const served = async (version?: string) => {
      const { result, cache } = await infer('two-versions', version, request());
      return [result.modelVersion, cache];
    };
    expect(await served('1')).toEqual(['1', 'miss']);
    expect(await served('1')).toEqual(['1', 'hit-memory']);
    // Version 2's answer is its own entry; with no version the engine's default (newest) serves.
    expect(await served('2')).toEqual(['2', 'miss']);
    expect(await served()).toEqual(['2', 'hit-memory']);
  });

  it('rejects a non-boolean cache parameter', () => {
    expect(cacheAllowedBy({})).toBe(true);
    expect(cacheAllowedBy({ cache: false })).toBe(false);
    expect(() => cacheAllowedBy({ cache: 'no' })).toThrow('parameters.cache must be a boolean, got "no"');
  });
});
