import type { IncomingHttpHeaders } from 'node:http';
import type { InferRequest, InferResult } from '../core/engine';
import type { Settle } from '../core/settle';
import type { DecodedInferRequest } from '../protocol/infer-request';
import type { ModelConfig } from '../repository/model-config';

/**
 * The named phases a request goes through, after Fastify's lifecycle hooks (one list of hooks per
 * point of the lifecycle). Every list is wired in one place, service/src/request-pipeline.ts:
 *
 *   admit    before the body is read (inference) or the handler runs (metadata, repository):
 *            load shedding, auth, rate limit. Throw a ServiceError to answer with its status.
 *   around   around the executor of an inference, outermost first: fallback chain, prediction
 *            cache, circuit breaker. Each calls `next` or answers without it (a cache hit).
 *   execute  the terminal step: the engine runs the request.
 *   observe  after the answer is written, deferred off the response's critical path: drift.
 *
 * Health, /metrics and /openapi.json go through no phase.
 */
export interface RequestPipeline {
  readonly admit: readonly AdmitHook[];
  readonly around: readonly AroundHook[];
  readonly execute: Executor;
  readonly observe: readonly ObserveHook[];
}

/** What a request asks to do, for scope checks: inference, reading metadata, or repository admin. */
export type Scope = 'infer' | 'read' | 'admin';

export interface CallContext {
  readonly requestId: string;
  readonly scope: Scope;
  readonly headers: IncomingHttpHeaders;
  readonly model?: string;
  readonly version?: string;
  /** Adds a response header (RateLimit-*, cache status, which fallback answered...). */
  setHeader(name: string, value: string): void;
  /** Runs `fn` once when the response is finished or the connection closes (load shedding's slot release). */
  onFinish?(fn: () => void): void;
}

export interface InferCallContext extends CallContext {
  readonly scope: 'infer';
  readonly model: string;
  /** The URL's version, or the one traffic routing chose; undefined: the newest ready version. */
  readonly version?: string;
  /** The decoded request: its `parameters` (e.g. `"cache": false`), inputs and requested outputs. */
  readonly decoded: DecodedInferRequest;
}

/** The version that serves an inference and its config, as the around hooks see it. */
export interface ServingVersion {
  readonly version: string;
  readonly config: ModelConfig;
}

/** One inference on its way through the around hooks to the executor. */
export interface Execution {
  readonly call: InferCallContext;
  /** What the executor sends the engine; a hook that changes it passes a copy to `next`. */
  readonly request: InferRequest;
  /**
   * Set by the first hook that needs it (service/src/guards/serving.ts), so that every hook of this
   * request (cache key, breaker, fallback) names the same version even if a reload swaps it meanwhile.
   */
  serving?: ServingVersion;
}

export type AdmitHook = (call: CallContext) => void | Promise<void>;
/**
 * Runs an execution and reports its outcome to `settle` (core/settle.ts): the request's one
 * promise is made at the front door, and each layer passes on, or wraps, the settle it was given
 * instead of adding a promise of its own. Never throws.
 */
export type Executor = (exec: Execution, settle: Settle<InferResult>) => void;
/**
 * Calls `next` with `settle` or its own Settle wrapping it (to see the outcome), or settles
 * without `next` (a cache hit). It may throw before it calls either: composeExecution (pipeline/run.ts)
 * makes that throw the execution's rejection.
 */
export type AroundHook = (exec: Execution, next: Executor, settle: Settle<InferResult>) => void;

/** An answered inference request, successful or not, as the observe hooks see it. */
export interface Observation {
  /** The model the URL names. */
  readonly model: string;
  /** The x-request-id the response carried (A/B feedback joins on it). */
  readonly requestId?: string;
  /** Undefined when the request failed before it was decoded. */
  readonly request?: InferRequest;
  /** Undefined when the request failed. A fallback's result names the fallback model. */
  readonly result?: InferResult;
  readonly status: number;
  readonly seconds: number;
  /** The routing decision for an unversioned URL; undefined when the request failed before it. */
  readonly route?: { readonly version?: string; readonly variant: string };
  /** The fallback chain's `x-served-by`: `primary`, `cache` or `fallback:<model>`. */
  readonly servedBy?: string;
}

/** Runs after the response is written; must not throw (a throw is logged and dropped). */
export type ObserveHook = (observation: Observation) => void;
