import { loadProtos } from '../src/grpc/proto';

const modelInfer = (
  loadProtos()['inference.GRPCInferenceService'] as unknown as {
    ModelInfer: { path: string; requestSerialize(value: unknown): Buffer };
  }
).ModelInfer;

/** /inference.GRPCInferenceService/ModelInfer */
export const MODEL_INFER_PATH = modelInfer.path;

export interface Fp32Call {
  model: string;
  /** '' for the newest ready version. */
  version: string;
  input: string;
  shape: number[];
  values: number[];
  /** Off unless asked for, so that the model runs on every request (a --hits bench asks). */
  cache?: boolean;
}

/** A serialized ModelInferRequest: one FP32 input as raw_input_contents. */
export function modelInferRequest(c: Fp32Call): Buffer {
  return modelInfer.requestSerialize({
    model_name: c.model,
    model_version: c.version,
    parameters: { cache: { bool_param: c.cache ?? false } },
    inputs: [{ name: c.input, datatype: 'FP32', shape: c.shape }],
    raw_input_contents: [Buffer.from(Float32Array.from(c.values).buffer)],
  });
}
