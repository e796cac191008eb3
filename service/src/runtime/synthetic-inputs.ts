import { DATATYPE_INFO, elementCount } from '../core/datatypes';
import type { Tensor, TensorData, TensorSpec } from '../core/tensor';

/**
 * Zero-filled inputs of `rows` rows for a signature, for warm-up and raw throughput runs. Dynamic
 * dimensions other than the batch dimension are 1. Zeros are valid for every datatype, including
 * index inputs, so a model that runs at all runs on them.
 */
export function syntheticInputs(inputs: readonly TensorSpec[], hasBatchDim: boolean, rows: number): Tensor[] {
  return inputs.map((spec) => {
    const shape = spec.shape.map((d, i) => (hasBatchDim && i === 0 ? rows : d < 0 ? 1 : d));
    return { name: spec.name, datatype: spec.datatype, shape, data: zeros(spec, elementCount(shape)) };
  });
}

function zeros(spec: TensorSpec, n: number): TensorData {
  const array = DATATYPE_INFO[spec.datatype].array;
  if (!array) return Array.from({ length: n }, () => Buffer.alloc(0));
  return new array(n);
}
