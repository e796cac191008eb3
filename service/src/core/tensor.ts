import type { Datatype } from '@ml-platform/contract/names';

export type { Datatype };

/** Element storage per datatype. BYTES elements are raw byte strings; BOOL is stored as 0/1 bytes. */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Buffer[];

/** A decoded tensor: flat row-major data plus its full shape (batch dimension included). */
export interface Tensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TensorData;
}

/** A model input or output as the model declares it; -1 marks a dynamic dimension. */
export interface TensorSpec {
  name: string;
  datatype: Datatype;
  shape: number[];
}
