/**
 * The Open Inference Protocol tensor datatypes. Plain data with no imports: the k6 bundle uses it,
 * and k6 must not carry a schema library.
 */
export const DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;
export type Datatype = (typeof DATATYPES)[number];

/** A model version's state in the repository index. */
export const MODEL_STATES = ['LOADING', 'READY', 'UNAVAILABLE', 'UNLOADING'] as const;
export type ModelState = (typeof MODEL_STATES)[number];

/**
 * The gRPC InferTensorContents field each datatype's typed values travel in (service/proto/
 * inference.proto); FP16 has none and travels only as raw contents.
 */
export const GRPC_CONTENTS_FIELD: Record<Datatype, string | undefined> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP16: undefined,
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};
