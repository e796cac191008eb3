import type { Datatype } from '../repository/model-config';

/**
 * The InferTensorContents field each datatype travels in (proto/inference.proto); FP16 has none and
 * travels only as raw contents. No imports but a type: the k6 gRPC script bundles it as well.
 */
export const CONTENTS_FIELD: Record<Datatype, string | undefined> = {
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
