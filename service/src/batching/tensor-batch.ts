import { DATATYPE_INFO } from '../core/datatypes';
import type { Tensor, TensorData } from '../core/tensor';

type NumericData = Exclude<TensorData, Buffer[]>;

/**
 * Reusable concatenation buffers, one per input name, sized for a full batch: a batch copies each
 * request's rows in with one typed-array `set` and allocates nothing once warm. A buffer is lent to
 * one batch at a time; concurrent batches get their own.
 */
export class BatchBuffers {
  private free = new Map<string, NumericData[]>();

  acquire(spec: Tensor, elements: number): NumericData {
    const pool = this.free.get(spec.name);
    const i = pool
      ? pool.findIndex((b) => b.length >= elements && b.constructor === spec.data.constructor)
      : -1;
    if (pool && i >= 0) return pool.splice(i, 1)[0].subarray(0, elements) as NumericData;
    const array = DATATYPE_INFO[spec.datatype].array!;
    return new array(elements);
  }

  /** A buffer that was moved to another thread and not handed back (a failed lent run) is dropped. */
  release(name: string, data: NumericData): void {
    if (data.buffer.byteLength === 0) return;
    const whole = new (data.constructor as new (b: ArrayBufferLike) => NumericData)(data.buffer);
    let pool = this.free.get(name);
    if (!pool) this.free.set(name, (pool = []));
    // Keep at most two per input: one in flight, one being filled. The larger ones: a pool holding
    // the first small batches' buffers would make every bigger batch allocate its own.
    if (pool.length < 2) pool.push(whole);
    else {
      const smaller = pool[0].length <= pool[1].length ? 0 : 1;
      if (pool[smaller].length < whole.length) pool[smaller] = whole;
    }
  }
}

/**
 * Concatenates each input across requests along the batch dimension. Every request must carry the
 * same input names (validation guarantees it); order follows the first request.
 */
export function concatInputs(
  requests: readonly (readonly Tensor[])[],
  rows: number,
  buffers: BatchBuffers,
): Tensor[] {
  const first = requests[0];
  return first.map((proto) => {
    const parts = requests.map((inputs) => inputs.find((t) => t.name === proto.name)!);
    const shape = [rows, ...proto.shape.slice(1)];
    if (proto.datatype === 'BYTES') {
      return { ...proto, shape, data: parts.flatMap((p) => p.data as Buffer[]) };
    }
    const total = parts.reduce((n, p) => n + p.data.length, 0);
    const out = buffers.acquire(proto, total);
    let offset = 0;
    for (const p of parts) {
      (out as Float32Array).set(p.data as Float32Array, offset);
      offset += p.data.length;
    }
    return { ...proto, shape, data: out };
  });
}

export function releaseInputs(batched: readonly Tensor[], buffers: BatchBuffers): void {
  for (const t of batched) if (t.datatype !== 'BYTES') buffers.release(t.name, t.data as NumericData);
}

/** `shape` with its first dimension set to `rows`: one array, not a slice spread into another. */
function withRows(shape: readonly number[], rows: number): number[] {
  const out = shape.slice();
  out[0] = rows;
  return out;
}

/**
 * Splits batched outputs back per request: request i gets rows [start_i, start_i + rows_i) of every
 * output, as views on the batch's output (no copies).
 */
export function splitOutputs(outputs: readonly Tensor[], rowsPerRequest: readonly number[]): Tensor[][] {
  const total = rowsPerRequest.reduce((a, b) => a + b, 0);
  const perRequest: Tensor[][] = rowsPerRequest.map(() => []);
  for (const out of outputs) {
    if (out.shape[0] !== total) {
      throw new Error(
        `output '${out.name}' has ${out.shape[0]} rows for a batch of ${total}; the model does not keep the batch dimension`,
      );
    }
    const rowElements = total === 0 ? 0 : out.data.length / total;
    let row = 0;
    rowsPerRequest.forEach((rows, i) => {
      const start = row * rowElements;
      const end = (row + rows) * rowElements;
      const data =
        out.datatype === 'BYTES'
          ? (out.data as Buffer[]).slice(start, end)
          : (out.data as NumericData).subarray(start, end);
      perRequest[i].push({
        name: out.name,
        datatype: out.datatype,
        shape: withRows(out.shape, rows),
        data: data as TensorData,
      });
      row += rows;
    });
  }
  return perRequest;
}
