import { badRequest } from '../core/errors';
import type { InferResult, OutputClasses } from '../core/engine';
import type { Tensor } from '../core/tensor';
import { tensorDataToBinary } from './binary-tensor';
import { classify } from './classification';
import type { DecodedInferRequest, Parameters } from './infer-request';
import { tensorDataToJsonText } from './json-tensor';

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
 *
 * The JSON is written as text, in the bytes `JSON.stringify` gave for the same object (keys in the
 * order below; the codec tests compare the two), without the object, its output objects and
 * their data arrays: `JSON.stringify` of the classifier's answer cost about 1 µs per request.
 */
export function encodeInferResponse(
  request: DecodedInferRequest,
  result: InferResult,
  parameters?: Parameters,
  classesOf: (output: string) => OutputClasses = () => UNBATCHED,
): EncodedResponse {
  let json = `{"model_name":${JSON.stringify(result.modelName)},"model_version":${JSON.stringify(result.modelVersion)}`;
  if (request.id !== undefined) json += `,"id":${JSON.stringify(request.id)}`;
  if (parameters) json += `,"parameters":${JSON.stringify(parameters)}`;
  json += ',"outputs":[';
  const chunks: Buffer[] = [];
  // Most requests name no outputs and want JSON: every output as it came, without selectOutputs'
  // [tensor, binary] pairs (two arrays per request, measured in docs/benchmarks.md). The text
  // depends on nothing else of the request, so a cached answer brings it along and is not decoded.
  if (!request.outputs && !request.binaryOutputs)
    json += result.outputsJson ?? jsonOutputsText(result.outputs);
  else {
    const selected = selectOutputs(request, result, classesOf);
    for (let i = 0; i < selected.length; i++) {
      const [t, binary] = selected[i];
      if (i > 0) json += ',';
      if (!binary) {
        json += jsonOutput(t);
        continue;
      }
      const bytes = tensorDataToBinary(t.datatype, t.data);
      chunks.push(bytes);
      json += `${outputHead(t)},"parameters":{"binary_data_size":${bytes.length}}}`;
    }
  }
  json += ']}';
  if (chunks.length === 0)
    return { body: json, length: Buffer.byteLength(json), contentType: 'application/json' };
  const header = Buffer.from(json);
  const body = Buffer.concat([header, ...chunks]);
  return { body, length: body.length, contentType: 'application/octet-stream', headerLength: header.length };
}

/** An output's name, datatype (a plain upper-case word) and shape (integers), as JSON keys. */
const outputHead = (t: Tensor): string =>
  `{"name":${JSON.stringify(t.name)},"datatype":"${t.datatype}","shape":[${t.shape.join(',')}]`;

const jsonOutput = (t: Tensor): string =>
  `${outputHead(t)},"data":${tensorDataToJsonText(t.datatype, t.data)}}`;

/** Every output in JSON, comma-separated: the inside of the `outputs` array of a plain JSON answer. */
export function jsonOutputsText(outputs: readonly Tensor[]): string {
  let text = '';
  for (let i = 0; i < outputs.length; i++) text += (i === 0 ? '' : ',') + jsonOutput(outputs[i]);
  return text;
}
