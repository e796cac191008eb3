import type { BatchRequest, InferResult } from '../core/engine';
import { notFound } from '../core/errors';
import type { Settle } from '../core/settle';
import type { Tensor } from '../core/tensor';

/**
 * One request in its version's queue: given the request's rows of a batch's outputs, it settles
 * the request with the outputs it asked for, in its order. One object per request where the
 * batcher's promise and engine.infer's reaction on it used to be (core/settle.ts).
 */
export class EngineAnswer implements BatchRequest {
  constructor(
    readonly inputs: readonly Tensor[],
    private readonly model: string,
    private readonly version: string,
    private readonly wanted: string[] | undefined,
    private readonly settle: Settle<InferResult>,
  ) {}

  resolve(outputs: Tensor[]): void {
    let picked: Tensor[];
    try {
      picked = pick(outputs, this.wanted);
    } catch (err) {
      this.settle.reject(err);
      return;
    }
    this.settle.resolve({ modelName: this.model, modelVersion: this.version, outputs: picked });
  }

  reject(error: unknown): void {
    this.settle.reject(error);
  }
}

function pick(outputs: Tensor[], wanted?: string[]): Tensor[] {
  if (!wanted) return outputs;
  return wanted.map((name) => {
    const found = outputs.find((o) => o.name === name);
    if (!found) throw notFound(`output '${name}' was not produced`);
    return found;
  });
}
