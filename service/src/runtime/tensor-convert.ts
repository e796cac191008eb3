import * as ort from 'onnxruntime-node';
import { datatypeFromOrt, DATATYPE_INFO } from '../core/datatypes';
import type { Tensor, TensorData } from '../core/tensor';

/**
 * Tensor <-> ort.Tensor. Numeric data is shared, not copied: FP16 travels as its uint16 bits, BOOL
 * as 0/1 bytes, INT64/UINT64 as BigInt64Array/BigUint64Array. BYTES become strings, which is all
 * onnxruntime-node's string tensors carry.
 */
export function toOrtTensor(t: Tensor): ort.Tensor {
  const type = DATATYPE_INFO[t.datatype].ort as ort.Tensor.Type;
  if (t.datatype === 'BYTES') {
    return new ort.Tensor(
      'string',
      (t.data as Buffer[]).map((b) => b.toString('utf8')),
      t.shape,
    );
  }
  // The datatype table guarantees the storage class matches the ort type.
  return new ort.Tensor(type as 'float32', t.data as Float32Array, t.shape);
}

export function fromOrtTensor(name: string, value: ort.Tensor): Tensor {
  const datatype = datatypeFromOrt(value.type);
  if (!datatype)
    throw new Error(`output '${name}': onnxruntime returned type ${value.type}, which the protocol lacks`);
  const shape = value.dims.map(Number);
  if (datatype === 'BYTES') {
    return { name, datatype, shape, data: (value.data as string[]).map((s) => Buffer.from(s, 'utf8')) };
  }
  return { name, datatype, shape, data: value.data as TensorData };
}
