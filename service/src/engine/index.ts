/**
 * The inference engine: model repository, validation, dynamic batching and onnxruntime, composed.
 *
 * Public API for the HTTP layer:
 *
 *   createEngine({ repositoryPath, logger?, observer?, clock?, execution? }): Engine
 *     Throws at once for a missing repository directory. Starts loading every model and returns
 *     immediately; `engine.loaded` resolves when that first load has settled (failures: index()).
 *     execution 'worker' (default) runs onnxruntime on a bounded pool of worker threads shared by the
 *     models (../runtime/session-pool); 'inline' on this thread.
 *   engine.isReady(): boolean                       every model not explicitly unloaded has a warm version
 *   engine.notReadyReasons(): string[]               why not ready: models loading, failed ones and why
 *   engine.inRepository(model, version?): boolean    the repository holds it, loaded or not (metric labels)
 *   engine.infer(model, version?, request): Promise<InferResult>
 *   engine.submit(model, version?, request, settle): void  the same, answering through `settle`
 *     validates (400), picks the version (404 unknown, 503 not ready), queues with request.deadline
 *     (shortened by the model's default_timeout_microseconds when the request set no timeout)
 *     (503 + retryAfterSeconds when the queue is full, 504 when the deadline passes queued, 500 when
 *     the batch fails); returns only the requested outputs, in the requested order.
 *   engine.metadata(model, version?): ModelMetadata  404 unknown, 503 no ready version
 *   engine.modelReady(model, version?): boolean      404 for an unknown model or version
 *   engine.modelConfig(model): ModelConfig           cache, fallback, breaker, traffic, drift
 *   engine.signature(model, version?): ModelSignature  for validating before a cache lookup
 *   engine.servingVersion(model, version?): string  the version serving now (404 unknown, 503 not ready)
 *   engine.outputClasses(model, output): OutputClasses  batched or not, labels (classification extension)
 *   engine.index(): RepositoryIndexEntry[]           one entry per version, with state and reason
 *   engine.load(model, configJson?) / engine.unload(model): Promise<void>  reload without dropping
 *     requests; configJson replaces config.json for that load; load rejects 400 with the reason
 *     (the previous version keeps serving), 404 for no such model
 *   engine.close(): Promise<void>                    readiness off at once, queues drained, sessions released
 *
 *   EngineObserver (../core/observer): onBatch, onQueueDepth, onModelLoad, onReject, for metrics.
 *   validateInferRequest (../validation/validate-request): the pure request check.
 *
 * Every error thrown is a ServiceError carrying its HTTP status.
 */
import { existsSync, statSync } from 'node:fs';
import type {
  InferenceEngine,
  InferRequest,
  InferResult,
  ModelMetadata,
  RepositoryIndexEntry,
} from '../core/engine';
import { ServiceError } from '../core/errors';
import type { Settle } from '../core/settle';
import { systemClock, type Clock } from '../batching/clock';
import type { ModelConfig } from '../repository/model-config';
import { ModelRegistry } from '../repository/model-registry';
import type { ModelSignature } from '../repository/signature';
import { openInline, type ModelOpener } from '../runtime/ort-runner';
import { SessionPool } from '../runtime/session-pool';
import { validateInferRequest } from '../validation/validate-request';
import { EngineAnswer } from './engine-answer';
import { loadVersion } from './load-version';
import { silentLogger, type EngineLogger } from '../core/logger';
import type { EngineObserver } from '../core/observer';

export type { EngineLogger } from '../core/logger';
export type { EngineObserver, BatchEvent } from '../core/observer';
export type { ModelSignature } from '../repository/signature';
export { defaultPoolThreads, SessionPool } from '../runtime/session-pool';

export interface EngineOptions {
  repositoryPath: string;
  logger?: EngineLogger;
  observer?: EngineObserver;
  clock?: Clock;
  /**
   * Where onnxruntime runs. 'worker' (default): on a pool of worker threads shared by every model
   * (../runtime/session-pool), so the event loop keeps parsing, batching and firing deadlines while
   * a batch computes, and one model's slow batch does not hold up the others. 'inline': on the
   * event loop's thread, which blocks for the length of each run.
   */
  execution?: 'worker' | 'inline';
  /** Shared onnxruntime threads of the default pool; default: defaultPoolThreads(). */
  threads?: number;
  /** The pool to open sessions in, instead of one of `threads` threads; engine.close() closes it. */
  pool?: SessionPool;
}

export interface Engine extends InferenceEngine {
  /** Settles when the start-up load of every model has finished, whether or not each succeeded. */
  readonly loaded: Promise<void>;
  modelConfig(model: string): ModelConfig;
  signature(model: string, version?: string): ModelSignature;
  /** The version that would serve right now: 404 unknown, 503 unloaded or not ready. */
  servingVersion(model: string, version?: string): string;
  /**
   * `infer` without a promise: the outcome goes to `settle`, so the request path makes one promise
   * per request, not one per layer (core/settle.ts). Never throws.
   */
  submit(
    model: string,
    version: string | undefined,
    request: InferRequest,
    settle: Settle<InferResult>,
  ): void;
}

/** Throws at once when the repository directory is missing; model failures are reported in index(). */
export function createEngine(options: EngineOptions): Engine {
  if (!existsSync(options.repositoryPath) || !statSync(options.repositoryPath).isDirectory()) {
    throw new Error(`model repository ${options.repositoryPath} is not a directory`);
  }
  const logger = options.logger ?? silentLogger;
  const pool =
    options.execution === 'inline' ? undefined : (options.pool ?? new SessionPool(logger, options.threads));
  const open: ModelOpener = pool ? (...args) => pool.open(...args) : openInline;
  const clock = options.clock ?? systemClock;
  const deps = { logger, observer: options.observer ?? {}, clock, open };
  const registry = new ModelRegistry(
    options.repositoryPath,
    (model, version, file, config) => loadVersion(model, version, file, config, deps),
    logger,
  );
  const loaded = registry.loadAll();

  function submit(
    model: string,
    version: string | undefined,
    request: InferRequest,
    settle: Settle<InferResult>,
  ): void {
    let failure: unknown;
    // Resolve and enqueue in one synchronous step: a reload swapping versions cannot slip in between.
    try {
      const target = registry.resolve(model, version);
      const rows = validateInferRequest(target.signature, request.inputs, request.outputs);
      const deadline = queueDeadline(request, target.config, clock.now());
      const answer = new EngineAnswer(request.inputs, model, target.version, request.outputs, settle);
      target.submit(answer, rows, deadline);
      return;
    } catch (e) {
      failure = e;
    }
    // Outside the try: what `settle` runs is the caller's, and its throw is no failure to enqueue.
    settle.reject(failure);
  }

  return {
    loaded,
    isReady: () => registry.isReady() && (pool?.failures.length ?? 0) === 0,
    notReadyReasons: () => [
      ...registry.notReadyReasons(),
      ...(pool?.failures ?? []).map((e) => `onnxruntime worker failed: ${e.message}`),
    ],
    inRepository: (model, version) => registry.holds(model, version),

    infer(model, version, request) {
      return new Promise<InferResult>((resolve, reject) =>
        submit(model, version, request, { resolve, reject }),
      );
    },
    submit,

    metadata(model: string, version?: string): ModelMetadata {
      const target = registry.resolve(model, version);
      return {
        name: model,
        versions: registry.readyVersions(model),
        platform: target.config.platform,
        inputs: target.signature.inputs,
        outputs: target.signature.outputs,
      };
    },

    modelReady(model: string, version?: string): boolean {
      try {
        registry.resolve(model, version);
        return true;
      } catch (e) {
        if (e instanceof ServiceError && e.status === 503) return false;
        throw e;
      }
    },

    modelConfig: (model) => registry.config(model),
    signature: (model, version) => registry.resolve(model, version).signature,
    servingVersion: (model, version) => registry.resolve(model, version).version,
    outputClasses: (model, output) => registry.outputClasses(model, output),
    index: (): RepositoryIndexEntry[] => registry.index(),
    load: (model, configJson) => registry.load(model, configJson),
    unload: (model) => registry.unload(model),
    close: async () => {
      await registry.close();
      await pool?.close();
    },
  };
}

/** Triton's default_timeout_microseconds: how long a request that set no timeout may wait queued. */
function queueDeadline(request: InferRequest, config: ModelConfig, now: number): number {
  const defaultUs = config.dynamic_batching?.default_timeout_microseconds;
  if (request.timeoutMs !== undefined || defaultUs === undefined) return request.deadline;
  return Math.min(request.deadline, now + defaultUs / 1000);
}
