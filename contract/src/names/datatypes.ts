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
