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
}

/** An open model, wherever its session lives (this thread or an onnxruntime worker thread). */
export interface OpenedModel {
  readonly io: OnnxIo;
  readonly provider: 'cpu' | 'cuda';
  /** Runs one (already batched) set of inputs, fetching only `outputs`, in that order. */
  run(inputs: readonly Tensor[], outputs: readonly string[]): Promise<RunOutput>;
  release(): Promise<void>;
}

export type ModelOpener = (file: string, config: SessionConfig, logger: EngineLogger) => Promise<OpenedModel>;

/** What the batcher runs: a model with its exposed outputs bound. Knows nothing of onnxruntime. */
export interface ModelRunner {
  run(inputs: readonly Tensor[]): Promise<RunOutput>;
  release(): Promise<void>;
}

export function bindOutputs(model: OpenedModel, outputs: readonly string[]): ModelRunner {
  return { run: (inputs) => model.run(inputs, outputs), release: () => model.release() };
}

/**
 * Runs `session` on the calling thread. The busy time is timed here, on the thread that runs the
 * session, so that it excludes the wait for that thread and the message passing around it.
 */
export async function runSession(
  session: ort.InferenceSession,
  inputs: readonly Tensor[],
  outputs: readonly string[],
): Promise<RunOutput> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of inputs) feeds[t.name] = toOrtTensor(t);
  const started = performance.now();
  const result = await session.run(feeds, outputs as string[]);
  const busySeconds = (performance.now() - started) / 1000;
  return { outputs: outputs.map((name) => fromOrtTensor(name, result[name] as ort.Tensor)), busySeconds };
}

/** Opens the session on this thread: onnxruntime-node then blocks the event loop while it runs. */
export const openInline: ModelOpener = async (file, config, logger) => {
  const { session, provider } = await openSession(file, config, logger);
  return {
    io: onnxIo(session),
    provider,
    run: (inputs, outputs) => runSession(session, inputs, outputs),
    release: () => session.release(),
  };
};
