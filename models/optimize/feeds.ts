import { DATATYPE_INFO, elementCount } from '@ml-platform/service/core/datatypes';
import type { Tensor, TensorSpec } from '@ml-platform/service/core/tensor';
import type { ModelSignature } from '@ml-platform/service/model-tooling';
import { OptimizeError } from './errors';

/** Rows the held-out data feeds per run: the model's limit, at most 64. */
const EVAL_BATCH = 64;

/** The one input held-out rows feed; several inputs would need a richer held-out format. */
export function singleInput(signature: ModelSignature): TensorSpec {
  if (signature.inputs.length !== 1) {
    throw new OptimizeError(
      `the model has ${signature.inputs.length} inputs (${signature.inputs.map((i) => i.name).join(', ')}); ` +
        'held-out rows feed exactly one',
    );
  }
  return signature.inputs[0];
}

/** One tensor of `rows` (all the same length) for the input, batched or, without a batch dimension, one row. */
export function rowsTensor(signature: ModelSignature, rows: readonly number[][]): Tensor {
  const spec = singleInput(signature);
  const batched = signature.maxBatchSize > 0;
  const rowDims = batched ? spec.shape.slice(1) : spec.shape;
  const width = rows[0].length;
  const fixed = elementCount(rowDims.filter((d) => d >= 0));
  const shape = rowDims.map((d) => (d >= 0 ? d : width / fixed));
  if (elementCount(shape) !== width || rows.some((r) => r.length !== width)) {
    throw new OptimizeError(
      `held-out rows have ${width} values, but input '${spec.name}' takes [${rowDims.join(', ')}] per row`,
    );
  }
  const info = DATATYPE_INFO[spec.datatype];
  const flat = rows.flat();
  let data;
  if (info.kind === 'bigint') data = new (info.array as BigInt64ArrayConstructor)(flat.map((v) => BigInt(v)));
  else if (info.array && info.kind !== 'half') data = (info.array as Float32ArrayConstructor).from(flat);
  else throw new OptimizeError(`input '${spec.name}' is ${spec.datatype}, which held-out rows cannot feed`);
  return { name: spec.name, datatype: spec.datatype, shape: batched ? [rows.length, ...shape] : shape, data };
}

/** The held-out rows cut into the runs that feed them. */
export function heldOutBatches(signature: ModelSignature, rows: readonly number[][]): Tensor[] {
  const size = signature.maxBatchSize > 0 ? Math.min(signature.maxBatchSize, EVAL_BATCH) : 1;
  const out: Tensor[] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rowsTensor(signature, rows.slice(i, i + size)));
  return out;
}

/** `count` rows taken round-robin from the held-out rows, for timing. */
export function cycledRows(rows: readonly number[][], count: number): number[][] {
  return Array.from({ length: count }, (_, i) => rows[i % rows.length]);
}
