import type { Tensor } from '../core/tensor';
import type { OnnxIo } from '../repository/signature';
import type { SessionConfig } from './session';

/** Messages between the engine and its onnxruntime worker thread. */
export type WorkerRequest =
  | { op: 'open'; id: number; file: string; config: SessionConfig }
  | {
      op: 'run';
      id: number;
      handle: number;
      inputs: Tensor[];
      outputs: readonly string[];
      /** The inputs' buffers were moved here: move them back with the reply (RunOptions.lend). */
      lent?: boolean;
    }
  | { op: 'release'; id: number; handle: number };

export interface WorkerReply {
  id: number;
  ok?: {
    handle?: number;
    io?: OnnxIo;
    provider?: 'cpu' | 'cuda';
    outputs?: Tensor[];
    /** A lent run's inputs, moved back. */
    inputs?: Tensor[];
    /** A run's time on the worker thread (see runSession). */
    busySeconds?: number;
  };
  error?: string;
  /** A log line from the session opener, for the engine's logger; the request stays pending. */
  log?: { level: 'debug' | 'info' | 'warn' | 'error'; obj: object; msg: string };
}

/** Structured clone turns Buffers into plain Uint8Arrays; BYTES elements are Buffers again after this. */
export function reviveTensor(t: Tensor): Tensor {
  if (t.datatype !== 'BYTES') return t;
  const data = (t.data as Uint8Array[]).map((u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength));
  return { ...t, data };
}

/**
 * The numeric tensors' buffers, to move rather than copy between threads (each listed once): a
 * run's outputs back to the engine, and a lent run's inputs there and back.
 */
export function transferablesOf(tensors: readonly Tensor[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const t of tensors) {
    if (t.datatype === 'BYTES') continue;
    const { buffer } = t.data as Exclude<Tensor['data'], Buffer[]>;
    if (buffer instanceof ArrayBuffer) buffers.add(buffer);
  }
  return [...buffers];
}

/**
 * `outputs`, each on memory of its own rather than on one of `inputs`' buffers: a lent run's inputs
 * go back to the batcher's pool and are overwritten by the next batch, while outputs live on in
 * responses and observers. onnxruntime-node copies its outputs, so this only guards the contract.
 */
export function apartFromInputs(outputs: Tensor[], inputs: readonly Tensor[]): Tensor[] {
  const lent = new Set(transferablesOf(inputs));
  return outputs.map((t) => {
    if (t.datatype === 'BYTES') return t;
    const data = t.data as Exclude<Tensor['data'], Buffer[]>;
    return lent.has(data.buffer as ArrayBuffer) ? { ...t, data: data.slice() as Tensor['data'] } : t;
  });
}
