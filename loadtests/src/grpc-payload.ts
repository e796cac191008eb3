import { GRPC_CONTENTS_FIELD as CONTENTS_FIELD } from '@ml-platform/contract/names';
import type { InferRequest } from './payload';

/**
 * gRPC's side of the same load: the ModelInfer request for a REST payload (buildInferRequest), with
 * typed contents (k6's gRPC client sends JSON-mapped messages, where typed values are plain
 * numbers), and k6's names for the metrics the SLA thresholds speak of.
 */

export interface ModelInferMessage {
  model_name: string;
  inputs: { name: string; datatype: string; shape: number[]; contents: Record<string, unknown[]> }[];
}

export function toModelInferRequest(model: string, request: InferRequest): ModelInferMessage {
  return {
    model_name: model,
    inputs: request.inputs.map((input) => {
      const field = CONTENTS_FIELD[input.datatype];
      if (!field)
        throw new RangeError(`input '${input.name}': ${input.datatype} has no typed contents field`);
      return {
        name: input.name,
        datatype: input.datatype,
        shape: input.shape,
        contents: { [field]: input.data },
      };
    }),
  };
}

export const MODEL_INFER_METHOD = 'inference.GRPCInferenceService/ModelInfer';
export const MODEL_METADATA_METHOD = 'inference.GRPCInferenceService/ModelMetadata';

/**
 * k6 records a gRPC call's duration as grpc_req_duration; failures and calls are counted by the
 * script under these names. The scenario thresholds (thresholds.ts) name the HTTP metrics.
 */
export const GRPC_METRICS: Record<string, string> = {
  http_req_duration: 'grpc_req_duration',
  http_req_failed: 'grpc_req_failed',
  http_reqs: 'grpc_reqs',
};

/** A map keyed by metric name, with the names `names` maps renamed (thresholds or summary metrics). */
export function renameMetrics<T>(
  byMetric: Record<string, T>,
  names: Record<string, string>,
): Record<string, T> {
  // Plain loops: the k6 runtime may lack Object.fromEntries.
  const out: Record<string, T> = {};
  for (const key of Object.keys(byMetric)) out[names[key] ?? key] = byMetric[key];
  return out;
}

export function inverse(names: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(names)) out[names[key]] = key;
  return out;
}
