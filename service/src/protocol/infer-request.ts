import { DATATYPES } from '@ml-platform/contract/names';
import { elementCount } from '../core/datatypes';
import { badRequest } from '../core/errors';
import type { Datatype, Tensor, TensorData } from '../core/tensor';
import { tensorDataFromBinary } from './binary-tensor';
import { flattenData, tensorDataFromJson } from './json-tensor';
import {
  extractNumericData,
  float32Values,
  float64Values,
  type ExtractedBody,
  type NumericArray,
} from './json-numeric-data';
import { loadWasmBody, loadedWasmBody } from './json-numbers-wasm';

export type Parameters = Record<string, string | number | boolean>;

export interface RequestedOutput {
  name: string;
  /** Return this output in the binary section instead of as JSON `data`. */
  binary: boolean;
  /** The classification extension: answer with the top this-many classes (protocol/classification.ts). */
  classification?: number;
}

/** An Open Inference Protocol request after decoding, before it is checked against a model. */
export interface DecodedInferRequest {
  id?: string;
  parameters: Parameters;
  inputs: Tensor[];
  /** Requested outputs in request order; undefined means every output. */
  outputs?: RequestedOutput[];
  /** `binary_data_output`: default form for outputs not named in `outputs`. */
  binaryOutputs: boolean;
  /** The `timeout` parameter (microseconds on the wire, as Triton defines it), in ms. */
  timeoutMs?: number;
}

const DATATYPE_SET = new Set<string>(DATATYPES);

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** What an absent `parameters` reads as: shared and frozen, not a new object per input and request. */
const NO_PARAMETERS: Parameters = Object.freeze({});

/**
 * A `parameters` object checked to hold only strings, numbers and booleans: the request's own, or an
 * input's or output's when `kind` and `name` say whose (the error then names it).
 */
export function parseParameters(v: unknown, kind?: 'input' | 'output', name?: string): Parameters {
  if (v === undefined) return NO_PARAMETERS;
  if (!isObject(v)) {
    throw badRequest(`${parametersWhere(kind, name)} must be an object of string, number or boolean values`);
  }
  // for-in rather than Object.entries: no array of pairs per request. A JSON object has no
  // inherited enumerable keys; hasOwn keeps it so for any other object.
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    const p = v[k];
    if (typeof p !== 'string' && typeof p !== 'number' && typeof p !== 'boolean') {
      throw badRequest(`${parametersWhere(kind, name)}.${k} must be a string, number or boolean`);
    }
  }
  return v as Parameters;
}

// Worded only for an error: a template string per input was garbage on every request.
const parametersWhere = (kind: 'input' | 'output' | undefined, name: string | undefined) =>
  kind === undefined ? 'parameters' : `${kind} '${name}' parameters`;

/** The `timeout` parameter (microseconds, as Triton defines it) in ms; undefined when absent. */
export function timeoutMsOf(parameters: Parameters): number | undefined {
  const t = parameters.timeout;
  if (t === undefined) return undefined;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) {
    throw badRequest('parameters.timeout must be a positive number of microseconds');
  }
  return t / 1000;
}

function parseShape(name: string, v: unknown): number[] {
  if (!Array.isArray(v) || !v.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw badRequest(
      `input '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(v)}`,
    );
  }
  return v as number[];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`request body is not valid JSON: ${(e as Error).message}`);
  }
}

/** One input's declared header, checked; its data comes from the front door's own encoding. */
export interface InputHeader {
  name: string;
  datatype: Datatype;
  shape: number[];
  elements: number;
  parameters: Parameters;
}

/**
 * Where an input's elements are: REST's JSON `data` or binary section, gRPC's typed `contents` or
 * `raw_input_contents`. Called once per input, in input order.
 */
export type InputDataSource = (
  input: Record<string, unknown>,
  header: InputHeader,
  index: number,
) => TensorData;

/**
 * Below this many JSON bytes JSON.parse alone is as fast as the numeric-array scan
 * (service/bench/json-decode.ts measures both).
 */
export const NUMERIC_SCAN_MIN_BYTES = 2048;

/**
 * Decodes an inference request body. `headerLength` is the `Inference-Header-Content-Length`
 * header: when present the JSON is that many leading bytes and the rest is the binary section,
 * consumed in input order by the inputs that carry `binary_data_size`. The body may be the chunks
 * it arrived in (http/read-body.ts `readBodyChunks`): a large JSON body is then joined straight in
 * WebAssembly memory, and in a buffer of its own only when it is decoded the plain way.
 *
 * A large body first goes the cheap way (protocol/json-numeric-data.ts); if that decode fails for
 * any reason the body is decoded again the plain way, which alone words the error.
 * `numericScanMinBytes` moves that size (Infinity: always the plain way), and `wasm` false keeps the
 * scan's arrays in JS, for the tests and the bench that compare them.
 */
export function decodeInferRequest(
  body: Buffer | readonly Buffer[],
  headerLength?: number,
  numericScanMinBytes = NUMERIC_SCAN_MIN_BYTES,
  wasm = true,
): DecodedInferRequest {
  if (!Buffer.isBuffer(body)) {
    const inWasm =
      headerLength === undefined && wasm ? jsonChunksInWasm(body, numericScanMinBytes) : undefined;
    const extracted = inWasm && extractNumericData(inWasm, inWasm.length);
    if (inWasm && extracted) {
      try {
        return decodeBody(inWasm, inWasm.length, extracted);
      } catch {
        // The plain decode below reports it.
      }
    }
    return decodeInferRequest(
      Buffer.concat(body),
      headerLength,
      inWasm ? Infinity : numericScanMinBytes,
      wasm,
    );
  }
  if (headerLength !== undefined && (headerLength < 0 || headerLength > body.length)) {
    throw badRequest(
      `Inference-Header-Content-Length is ${headerLength}, must be between 0 and the body size ${body.length}`,
    );
  }
  const jsonEnd = headerLength ?? body.length;
  const extracted = jsonEnd >= numericScanMinBytes ? extractNumericData(body, jsonEnd, wasm) : undefined;
  if (extracted) {
    try {
      return decodeBody(body, jsonEnd, extracted);
    } catch {
      // The plain decode below reports it.
    }
  }
  return decodeBody(body, jsonEnd);
}

/**
 * A JSON body's chunks joined in WebAssembly memory, as a view valid until the next body is
 * loaded there; undefined when the body is too small for the scan or too large for the reader.
 */
function jsonChunksInWasm(chunks: readonly Buffer[], numericScanMinBytes: number): Buffer | undefined {
  let length = 0;
  for (const c of chunks) length += c.length;
  if (length < numericScanMinBytes || !loadWasmBody(chunks)) return undefined;
  return loadedWasmBody();
}

function decodeBody(body: Buffer, jsonEnd: number, extracted?: ExtractedBody): DecodedInferRequest {
  const root = parseJson(extracted ? extracted.text : body.toString('utf8', 0, jsonEnd));
  let offset = jsonEnd;
  const decoded = decodeInferObject(root, (raw, header, index) => {
    const { name, datatype, shape, elements, parameters } = header;
    const numeric = extracted?.arrays.get(index);
    if (numeric) return numericData(numeric, header);
    const binarySize = parameters.binary_data_size;
    if (binarySize !== undefined) {
      if (typeof binarySize !== 'number' || !Number.isSafeInteger(binarySize) || binarySize < 0) {
        throw badRequest(`input '${name}': binary_data_size must be a non-negative integer`);
      }
      if (raw.data !== undefined) throw badRequest(`input '${name}': has both data and binary_data_size`);
      if (offset + binarySize > body.length) {
        throw badRequest(
          `input '${name}': binary_data_size ${binarySize} runs past the end of the body ` +
            `(${body.length - offset} binary bytes left; is Inference-Header-Content-Length set?)`,
        );
      }
      const bytes = body.subarray(offset, offset + binarySize);
      offset += binarySize;
      return tensorDataFromBinary(name, datatype, elements, bytes);
    }
    if (!Array.isArray(raw.data)) throw badRequest(`input '${name}': data must be an array (flat or nested)`);
    const values = flattenData(name, raw.data, shape);
    if (values.length !== elements) {
      throw badRequest(
        `input '${name}': shape ${JSON.stringify(raw.shape)} needs ${elements} elements, data has ${values.length}`,
      );
    }
    return tensorDataFromJson(name, datatype, values);
  });
  if (offset !== body.length) {
    throw badRequest(
      `${body.length - offset} bytes after the JSON header are not claimed by any input's binary_data_size`,
    );
  }
  return decoded;
}

/**
 * A scanned `data` array as the plain path would have decoded it. It only takes the cases where
 * the plain path succeeds the same way (flat data of the right length, or nesting equal to the
 * shape); anything else throws, and the plain decode then words the error.
 */
function numericData(numeric: NumericArray, header: InputHeader): TensorData {
  const { name, datatype, shape, elements, parameters } = header;
  const { dims } = numeric;
  const flat = dims.length === 1 && dims[0] === elements;
  const nested = dims.length === shape.length && dims.every((d, k) => d === shape[k]);
  if (parameters.binary_data_size !== undefined || !(flat || nested)) {
    throw new Error(`input '${name}': left to the plain decode`);
  }
  if (datatype === 'FP32') return float32Values(numeric);
  const exact = float64Values(numeric);
  if (!exact) throw new Error(`input '${name}': ${datatype} text beyond the cheap path`);
  return datatype === 'FP64' ? exact : tensorDataFromJson(name, datatype, Array.from(exact));
}

const FEW_INPUTS = 8;

/** Whether one of the first `count` inputs (already checked to be objects) has this name. */
function namedBefore(inputs: readonly unknown[], count: number, name: string): boolean {
  for (let j = 0; j < count; j++) if ((inputs[j] as { name: unknown }).name === name) return true;
  return false;
}

/**
 * Decodes a request already parsed into the protocol's JSON shape (`id`, `parameters`, `inputs`,
 * `outputs`): the checks both front doors share, each naming the offending field.
 */
export function decodeInferObject(root: unknown, dataOf: InputDataSource): DecodedInferRequest {
  if (!isObject(root)) throw badRequest('request body must be a JSON object with an "inputs" array');

  if (root.id !== undefined && typeof root.id !== 'string') throw badRequest('id must be a string');
  const parameters = parseParameters(root.parameters);

  const binaryOutputs = parameters.binary_data_output ?? false;
  if (typeof binaryOutputs !== 'boolean') throw badRequest('parameters.binary_data_output must be a boolean');

  const timeoutMs = timeoutMsOf(parameters);

  if (!Array.isArray(root.inputs) || root.inputs.length === 0) {
    throw badRequest('inputs must be a non-empty array of {name, shape, datatype, data}');
  }
  // Most requests have one input or a few: a Set per request for the duplicate check only when
  // there are many, where a scan of the earlier names would grow with their square.
  const rawInputs: unknown[] = root.inputs;
  const seen = rawInputs.length > FEW_INPUTS ? new Set<string>() : undefined;
  const inputs: Tensor[] = rawInputs.map((raw: unknown, i: number) => {
    if (!isObject(raw)) throw badRequest(`inputs[${i}] must be an object`);
    const name = raw.name;
    if (typeof name !== 'string' || name === '')
      throw badRequest(`inputs[${i}].name must be a non-empty string`);
    if (seen ? seen.has(name) : namedBefore(rawInputs, i, name))
      throw badRequest(`input '${name}' appears more than once`);
    seen?.add(name);
    const shape = parseShape(name, raw.shape);
    const datatype = raw.datatype;
    if (typeof datatype !== 'string' || !DATATYPE_SET.has(datatype)) {
      throw badRequest(
        `input '${name}': datatype must be one of ${DATATYPES.join(', ')}, got ${JSON.stringify(datatype)}`,
      );
    }
    const dt = datatype as Datatype;
    const params = parseParameters(raw.parameters, 'input', name);
    const header = { name, datatype: dt, shape, elements: elementCount(shape), parameters: params };
    return { name, datatype: dt, shape, data: dataOf(raw, header, i) };
  });

  let outputs: RequestedOutput[] | undefined;
  // An empty list asks for nothing in particular, which the protocol reads as every output.
  if (root.outputs !== undefined && !(Array.isArray(root.outputs) && root.outputs.length === 0)) {
    if (!Array.isArray(root.outputs)) throw badRequest('outputs must be an array of {name, parameters?}');
    const names = new Set<string>();
    outputs = root.outputs.map((raw: unknown, i: number) => {
      if (!isObject(raw) || typeof raw.name !== 'string' || raw.name === '') {
        throw badRequest(`outputs[${i}].name must be a non-empty string`);
      }
      if (names.has(raw.name)) throw badRequest(`output '${raw.name}' is requested more than once`);
      names.add(raw.name);
      const p = parseParameters(raw.parameters, 'output', raw.name);
      const binary = p.binary_data ?? binaryOutputs;
      if (typeof binary !== 'boolean')
        throw badRequest(`output '${raw.name}': binary_data must be a boolean`);
      const k = p.classification;
      if (k === undefined) return { name: raw.name, binary };
      if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1) {
        throw badRequest(
          `output '${raw.name}': classification must be a positive integer (how many top classes), got ${JSON.stringify(k)}`,
        );
      }
      return { name: raw.name, binary, classification: k };
    });
  }

  return { id: root.id as string | undefined, parameters, inputs, outputs, binaryOutputs, timeoutMs };
}
