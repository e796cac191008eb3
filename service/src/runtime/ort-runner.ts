import type * as ort from 'onnxruntime-node';
import type { Tensor } from '../core/tensor';
import { fromOrtTensor, toOrtTensor } from './tensor-convert';

/** Runs one (already batched) set of inputs; the batching layer knows nothing of onnxruntime. */
export interface ModelRunner {
  run(inputs: readonly Tensor[]): Promise<Tensor[]>;
  release(): Promise<void>;
}

export class OrtRunner implements ModelRunner {
  constructor(
    private readonly session: ort.InferenceSession,
    /** Fetched outputs, in the order results are returned: hidden outputs are never computed. */
    private readonly outputNames: readonly string[],
  ) {}

  async run(inputs: readonly Tensor[]): Promise<Tensor[]> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const t of inputs) feeds[t.name] = toOrtTensor(t);
    const result = await this.session.run(feeds, this.outputNames as string[]);
    return this.outputNames.map((name) => fromOrtTensor(name, result[name] as ort.Tensor));
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
