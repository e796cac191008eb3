import { badRequest } from '../core/errors';
import type { InferResult, OutputClasses } from '../core/engine';
import type { Tensor } from '../core/tensor';
import { tensorDataToBinary } from './binary-tensor';
import { classify } from './classification';
import type { DecodedInferRequest, Parameters } from './infer-request';
import { tensorDataToJson } from './json-tensor';

/**
 * A JSON body stays a string: node sends a string body and the response head in one write, where
 * a Buffer goes out as a second chunk of a writev (docs/benchmarks.md, "Sixth round").
 */
export type EncodedResponse =
  | { contentType: 'application/json'; body: string; length: number; headerLength?: undefined }
  | {
      contentType: 'application/octet-stream';
      body: Buffer;
      length: number;
      /** The JSON header's length, sent as Inference-Header-Content-Length. */
      headerLength: number;
    };

interface OutputJson {
  name: string;
  datatype: string;
  shape: number[];
  parameters?: Parameters;
  data?: unknown[];
}

interface ResponseJson {
  model_name: string;
  model_version: string;
  id?: string;
  parameters?: Parameters;
  outputs?: OutputJson[];
}

/** The outputs to send, in request order, each with its form; unknown names are a 400. */
export function selectOutputs(
  request: DecodedInferRequest,
  result: InferResult,
  classesOf: (output: string) => OutputClasses,
): [Tensor, boolean][] {
  if (!request.outputs) return result.outputs.map((t) => [t, request.binaryOutputs]);
  return request.outputs.map((o) => {
    const t = result.outputs.find((r) => r.name === o.name);
    if (!t) {
      throw badRequest(
        `unknown requested output '${o.name}'; model '${result.modelName}' has outputs: ` +
          result.outputs.map((r) => r.name).join(', '),
      );
    }
    return [o.classification ? classify(t, o.classification, classesOf(t.name)) : t, o.binary];
  });
}

const UNBATCHED: OutputClasses = { batched: false };

/**
 * Builds the response: `id` echoed, only the requested outputs, flat row-major data. Outputs asked
 * for in binary go after the JSON header, which then carries their `binary_data_size`. Outputs
 * asked for with `classification` are answered as their top classes, using `classesOf`.
 */
export function encodeInferResponse(
  request: DecodedInferRequest,
  result: InferResult,
  parameters?: Parameters,
  classesOf: (output: string) => OutputClasses = () => UNBATCHED,
): EncodedResponse {
  const chunks: Buffer[] = [];
  // Most requests name no outputs and want JSON: every output as it came, without selectOutputs'
  // [tensor, binary] pairs (two arrays per request, measured in docs/benchmarks.md).
  const outputs: OutputJson[] =
    !request.outputs && !request.binaryOutputs
      ? result.outputs.map(jsonOutput)
      : selectOutputs(request, result, classesOf).map(([t, binary]) => {
          if (!binary) return jsonOutput(t);
          const bytes = tensorDataToBinary(t.datatype, t.data);
          chunks.push(bytes);
          return {
            name: t.name,
            datatype: t.datatype,
            shape: t.shape,
            parameters: { binary_data_size: bytes.length },
          };
        });
  // Filled in this order because JSON.stringify writes keys in insertion order; a literal with
  // conditional spreads builds a throwaway object per spread.
  const root: ResponseJson = { model_name: result.modelName, model_version: result.modelVersion };
  if (request.id !== undefined) root.id = request.id;
  if (parameters) root.parameters = parameters;
  root.outputs = outputs;
  const json = JSON.stringify(root);
  if (chunks.length === 0)
    return { body: json, length: Buffer.byteLength(json), contentType: 'application/json' };
  const header = Buffer.from(json);
  const body = Buffer.concat([header, ...chunks]);
  return { body, length: body.length, contentType: 'application/octet-stream', headerLength: header.length };
}

const jsonOutput = (t: Tensor): OutputJson => ({
  name: t.name,
  datatype: t.datatype,
  shape: t.shape,
  data: tensorDataToJson(t.datatype, t.data),
});
