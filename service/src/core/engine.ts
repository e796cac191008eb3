import type { ModelState } from '@ml-platform/contract/names';
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

export interface InferResult {
  modelName: string;
  modelVersion: string;
  outputs: Tensor[];
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
  /** Throws a 404 ServiceError for an unknown model or version. */
  metadata(model: string, version?: string): ModelMetadata;
  modelReady(model: string, version?: string): boolean;
  /** Validates the inputs against the version's signature (400 on mismatch), batches and executes. */
  infer(model: string, version: string | undefined, request: InferRequest): Promise<InferResult>;
  index(): RepositoryIndexEntry[];
  load(model: string): Promise<void>;
  unload(model: string): Promise<void>;
  /** Stops accepting work, finishes what is queued, releases sessions. */
  close(): Promise<void>;
}
