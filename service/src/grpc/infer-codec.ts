import { badRequest } from '../core/errors';
import type { InferResult, OutputClasses } from '../core/engine';
import { decodeInferObject, type DecodedInferRequest, type Parameters } from '../protocol/infer-request';
import { selectOutputs } from '../protocol/infer-response';
import { tensorDataFromBinary, tensorDataToBinary } from '../protocol/binary-tensor';
import type { InferParameterMessage, ModelInferRequestMessage, ModelInferResponseMessage } from './proto';
import { hasContentsField, tensorDataFromContents, tensorDataToContents } from './tensor-contents';

/** InferParameter -> the JSON value REST would carry; int64/uint64 as numbers, like Triton's JSON. */
function parameterValue(p: InferParameterMessage): string | number | boolean | undefined {
  switch (p.parameter_choice) {
    case 'bool_param':
      return p.bool_param;
    case 'string_param':
      return p.string_param;
    case 'double_param':
      return p.double_param;
    case 'int64_param':
      return Number(p.int64_param);
    case 'uint64_param':
      return Number(p.uint64_param);
    default:
      return undefined;
  }
}

function parametersOf(map: Record<string, InferParameterMessage> | undefined): Parameters | undefined {
  if (!map) return undefined;
  const out: Parameters = {};
  for (const [k, p] of Object.entries(map)) {
    const v = parameterValue(p);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * ModelInferRequest -> the decoded request REST produces, through the same checks
 * (protocol/infer-request.ts). Raw contents are the binary extension's byte layout, one entry per
 * input; without them every input carries typed `contents`. Outputs come back raw when the request
 * was raw (tritonclient reads only raw outputs), typed otherwise; `binary_data_output` and an
 * output's `binary_data` parameter choose explicitly, as over REST.
 */
export function decodeModelInferRequest(msg: ModelInferRequestMessage): DecodedInferRequest {
  const raw = msg.raw_input_contents ?? [];
  const inputs = msg.inputs ?? [];
  if (raw.length > 0 && raw.length !== inputs.length) {
    throw badRequest(
      `raw_input_contents has ${raw.length} entries, expected one per input (${inputs.length})`,
    );
  }
  const parameters = parametersOf(msg.parameters) ?? {};
  if (raw.length > 0 && parameters.binary_data_output === undefined) parameters.binary_data_output = true;
  const root = {
    id: msg.id === '' ? undefined : msg.id,
    parameters,
    inputs: inputs.map((i) => ({
      name: i.name,
      datatype: i.datatype,
      shape: (i.shape ?? []).map(Number),
      parameters: parametersOf(i.parameters),
      contents: i.contents,
    })),
    outputs: (msg.outputs ?? []).map((o) => ({ name: o.name, parameters: parametersOf(o.parameters) })),
  };
  return decodeInferObject(root, (input, { name, datatype, elements }, index) => {
    if (raw.length === 0) {
      if (!input.contents) throw badRequest(`input '${name}': has neither contents nor raw_input_contents`);
      return tensorDataFromContents(name, datatype, elements, input.contents);
    }
    if (input.contents) throw badRequest(`input '${name}': has both contents and raw_input_contents`);
    return tensorDataFromBinary(name, datatype, elements, raw[index], `raw_input_contents[${index}]`);
  });
}

/**
 * The response: requested outputs in request order. The protocol allows raw or typed, not a mix,
 * so one raw output (or an FP16 one, which has no typed field) makes them all raw.
 */
export function encodeModelInferResponse(
  request: DecodedInferRequest,
  result: InferResult,
  /** What a `classification` output needs to know (the engine's outputClasses). */
  classesOf: (output: string) => OutputClasses = () => ({ batched: false }),
): ModelInferResponseMessage {
  const selected = selectOutputs(request, result, classesOf);
  const raw = selected.some(([t, binary]) => binary || !hasContentsField(t.datatype));
  const response: ModelInferResponseMessage = {
    model_name: result.modelName,
    model_version: result.modelVersion,
    id: request.id,
    outputs: selected.map(([t]) => ({
      name: t.name,
      datatype: t.datatype,
      shape: t.shape,
      ...(!raw && { contents: tensorDataToContents(t.datatype, t.data) }),
    })),
  };
  if (raw) response.raw_output_contents = selected.map(([t]) => tensorDataToBinary(t.datatype, t.data));
  return response;
}
