import { performance } from 'node:perf_hooks';
import type * as ort from 'onnxruntime-node';
import type { Tensor } from '../core/tensor';
import type { EngineLogger } from '../core/logger';
import type { OnnxIo } from '../repository/signature';
import { onnxIo } from './onnx-io';
import { openSession, type SessionConfig } from './session';
import { fromOrtTensor, toOrtTensor } from './tensor-convert';

/** One session run's outputs and how long it kept the runtime thread busy (cost attribution). */
export interface RunOutput {
  outputs: Tensor[];
  busySeconds: number;
  /**
   * The inputs of a run that was lent them, handed back by the thread that ran it: their typed
   * arrays are new objects over the same memory, the caller's own were detached on the way out.
   * Absent where the run never moved them (a run on the calling thread).
   */
  inputs?: Tensor[];
}

/**
 * `lend`: the caller owns the inputs' numeric buffers and reads them again only through
 * `RunOutput.inputs`, so a run on another thread may move them there and back instead of copying
 * them (a batch's concatenation buffer; never a request's own tensors, which observers still read).
 */
export interface RunOptions {
  lend?: boolean;
}

/** An open model, wherever its sessions live (this thread or onnxruntime worker threads). */
export interface OpenedModel {
  readonly io: OnnxIo;
  readonly provider: 'cpu' | 'cuda';
  /** Runs it can execute at the same time (its instances): more in flight would only wait. */
  readonly concurrency: number;
  /** Runs one (already batched) set of inputs, fetching only `outputs`, in that order. */
  run(inputs: readonly Tensor[], outputs: readonly string[], options?: RunOptions): Promise<RunOutput>;
  /** Runs once on every session it holds, so that none meets its first request cold. */
  warm(inputs: readonly Tensor[], outputs: readonly string[]): Promise<void>;
  release(): Promise<void>;
}

/** `instances`: sessions that may run at once (Triton's instance_group count); an opener may hold fewer. */
export type ModelOpener = (
  file: string,
  config: SessionConfig,
  logger: EngineLogger,
  instances: number,
) => Promise<OpenedModel>;

/** An OpenedModel of one session: one run at a time, warmed by one run. */
export function singleSession(
  io: OnnxIo,
  provider: OpenedModel['provider'],
  run: OpenedModel['run'],
  release: () => Promise<void>,
): OpenedModel {
  return { io, provider, concurrency: 1, run, warm: (i, o) => run(i, o).then(() => undefined), release };
}

/** What the batcher runs: a model with its exposed outputs bound. Knows nothing of onnxruntime. */
export interface ModelRunner {
  readonly concurrency: number;
  run(inputs: readonly Tensor[], options?: RunOptions): Promise<RunOutput>;
  warm(inputs: readonly Tensor[]): Promise<void>;
  release(): Promise<void>;
}

export function bindOutputs(model: OpenedModel, outputs: readonly string[]): ModelRunner {
  return {
    concurrency: model.concurrency,
    run: (inputs, options) => model.run(inputs, outputs, options),
    warm: (inputs) => model.warm(inputs, outputs),
    release: () => model.release(),
  };
}

/**
 * Runs `session` on the calling thread. The busy time is timed here, on the thread that runs the
 * session, so that it excludes the wait for that thread and the message passing around it, and
 * from the check phase in which onnxruntime-node computes, so that on the event loop's thread it
 * also excludes the I/O callbacks run before it (see SessionPool's inline runs).
 */
export async function runSession(
  session: ort.InferenceSession,
  inputs: readonly Tensor[],
  outputs: readonly string[],
): Promise<RunOutput> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of inputs) feeds[t.name] = toOrtTensor(t);
  let started = performance.now();
  // onnxruntime-node 1.30 computes synchronously in a setImmediate callback that run() queues at
  // once; this one, queued just before it, runs right before the compute.
  setImmediate(() => (started = performance.now()));
  const result = await session.run(feeds, outputs as string[]);
  const busySeconds = (performance.now() - started) / 1000;
  return { outputs: outputs.map((name) => fromOrtTensor(name, result[name] as ort.Tensor)), busySeconds };
}

/**
 * Opens the session on this thread: onnxruntime-node then blocks the event loop while it runs, so
 * one session is all it can use, whatever the instances asked for.
 */
export async function openInline(
  file: string,
  config: SessionConfig,
  logger: EngineLogger,
): Promise<OpenedModel> {
  const { session, provider } = await openSession(file, config, logger);
  return singleSession(
    onnxIo(session),
    provider,
    (inputs, outputs) => runSession(session, inputs, outputs),
    () => session.release(),
  );
}
