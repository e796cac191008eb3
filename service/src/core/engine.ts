import type { ModelState } from '@ml-platform/contract/names';
import type { Settle } from './settle';
import type { Tensor, TensorSpec } from './tensor';

export type { ModelState };

/** What the protocol layer hands the engine after decoding and validating a request. */
export interface InferRequest {
  /** Request-level `id`, echoed in the response. */
  id?: string;
  inputs: Tensor[];
  /** Names of the outputs to return; undefined means all. */
  outputs?: string[];
  /** Absolute deadline in ms on the `performance.now()` clock; queued work past it is answered 504. */
  deadline: number;
  /**
   * The request's own `timeout` parameter in ms, when it set one (`deadline` already holds it).
   * Without one, the model's dynamic_batching.default_timeout_microseconds bounds its time queued.
   */
  timeoutMs?: number;
}

/**
 * A validated request as its version's queue takes it: its inputs, and where its rows of the
 * batch's outputs go. The engine's own per-request object (engine/engine-answer.ts), so that
 * queueing a request allocates no promise.
 */
export interface BatchRequest extends Settle<Tensor[]> {
  readonly inputs: readonly Tensor[];
}

export interface InferResult {
  modelName: string;
  modelVersion: string;
  outputs: Tensor[];
  /**
   * Every output, in order, as the JSON array text of an answer that names no outputs and asks for
   * no binary data, when that text is already known (a memory-tier cache hit,
   * guards/cached-result.ts). protocol/infer-response.ts sends it instead of encoding the outputs.
   * Absent from a result whose outputs were changed after it was set.
   */
  readonly outputsJson?: string;
}

/** What classifying one output needs to know about the model (protocol/classification.ts). */
export interface OutputClasses {
  /** The model has a batch dimension: classify each row (the first dimension) on its own. */
  batched: boolean;
  /** Class names by index, from the labels file the model config names for this output. */
  labels?: readonly string[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export interface RepositoryIndexEntry {
  name: string;
  version?: string;
  state: ModelState;
  reason: string;
}

/** The engine as the HTTP layer sees it: the model repository plus batched execution. */
export interface InferenceEngine {
  /** True once every configured model has a loaded, warmed-up version. */
  isReady(): boolean;
  /** Why isReady() is false (models loading, models that failed and why); empty when ready. */
  notReadyReasons(): string[];
  /**
   * The repository holds this model, loaded or not (and this version, when given): such names are
   * bounded by the repository, so they may label metrics.
   */
  inRepository(model: string, version?: string): boolean;
  /** Throws a 404 ServiceError for an unknown model or version. */
  metadata(model: string, version?: string): ModelMetadata;
  modelReady(model: string, version?: string): boolean;
  /** Validates the inputs against the version's signature (400 on mismatch), batches and executes. */
  infer(model: string, version: string | undefined, request: InferRequest): Promise<InferResult>;
  /** What classifying this output needs: whether the model batches, the labels its config names. */
  outputClasses(model: string, output: string): OutputClasses;
  index(): RepositoryIndexEntry[];
  /** `configJson` replaces the model's config.json for this load (Triton's `parameters.config`). */
  load(model: string, configJson?: string): Promise<void>;
  unload(model: string): Promise<void>;
  /** Stops accepting work, finishes what is queued, releases sessions. */
  close(): Promise<void>;
}
