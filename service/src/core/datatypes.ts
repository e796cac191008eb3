import type { Datatype } from './tensor';

type NumericArrayCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Int32ArrayConstructor
  | BigInt64ArrayConstructor
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor
  | Uint32ArrayConstructor
  | BigUint64ArrayConstructor;

interface DatatypeInfo {
  /** Bytes per element in the binary tensor extension; 0 for BYTES (length-prefixed). */
  byteSize: number;
  /** Storage type; FP16 is kept as raw uint16 bits, BOOL as 0/1 bytes. */
  array?: NumericArrayCtor;
  /** onnxruntime's tensor type name. */
  ort: string;
  kind: 'float' | 'int' | 'bigint' | 'bool' | 'bytes' | 'half';
  min?: number | bigint;
  max?: number | bigint;
}

export const DATATYPE_INFO: Record<Datatype, DatatypeInfo> = {
  BOOL: { byteSize: 1, array: Uint8Array, ort: 'bool', kind: 'bool' },
  UINT8: { byteSize: 1, array: Uint8Array, ort: 'uint8', kind: 'int', min: 0, max: 255 },
  UINT16: { byteSize: 2, array: Uint16Array, ort: 'uint16', kind: 'int', min: 0, max: 65535 },
  UINT32: { byteSize: 4, array: Uint32Array, ort: 'uint32', kind: 'int', min: 0, max: 4294967295 },
  UINT64: { byteSize: 8, array: BigUint64Array, ort: 'uint64', kind: 'bigint', min: 0n, max: 2n ** 64n - 1n },
  INT8: { byteSize: 1, array: Int8Array, ort: 'int8', kind: 'int', min: -128, max: 127 },
  INT16: { byteSize: 2, array: Int16Array, ort: 'int16', kind: 'int', min: -32768, max: 32767 },
  INT32: { byteSize: 4, array: Int32Array, ort: 'int32', kind: 'int', min: -2147483648, max: 2147483647 },
  INT64: {
    byteSize: 8,
    array: BigInt64Array,
    ort: 'int64',
    kind: 'bigint',
    min: -(2n ** 63n),
    max: 2n ** 63n - 1n,
  },
  FP16: { byteSize: 2, array: Uint16Array, ort: 'float16', kind: 'half' },
  FP32: { byteSize: 4, array: Float32Array, ort: 'float32', kind: 'float' },
  FP64: { byteSize: 8, array: Float64Array, ort: 'float64', kind: 'float' },
  BYTES: { byteSize: 0, ort: 'string', kind: 'bytes' },
};

const BY_ORT = new Map<string, Datatype>(
  (Object.entries(DATATYPE_INFO) as [Datatype, DatatypeInfo][]).map(([dt, info]) => [info.ort, dt]),
);

export function datatypeFromOrt(ortType: string): Datatype | undefined {
  return BY_ORT.get(ortType);
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
