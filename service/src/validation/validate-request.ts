import { DATATYPE_INFO, elementCount } from '../core/datatypes';
import { badRequest } from '../core/errors';
import type { Tensor, TensorData, TensorSpec } from '../core/tensor';
import type { ModelSignature } from '../repository/signature';

/**
 * Checks decoded request tensors against a model version's signature. Pure: no I/O, no state.
 * Every failure is a 400 whose message names the input (or output) and what was expected.
 * Returns the number of rows the request carries (its batch dimension; 1 for models without one).
 */
export function validateInferRequest(
  signature: ModelSignature,
  inputs: readonly Tensor[],
  requestedOutputs?: readonly string[],
): number {
  // Linear scans rather than a Map and a Set per request: a signature has a handful of inputs.
  let rows: number | undefined;
  let rowsFrom = '';
  for (let i = 0; i < inputs.length; i++) {
    const tensor = inputs[i];
    const spec = named(signature.inputs, tensor.name, signature.inputs.length);
    if (!spec) {
      throw badRequest(`unknown input '${tensor.name}'; the model expects ${describeAll(signature.inputs)}`);
    }
    if (named(inputs, tensor.name, i)) throw badRequest(`input '${tensor.name}' is given more than once`);
    checkTensor(tensor, spec, signature.maxBatchSize);
    if (signature.maxBatchSize > 0) {
      const batch = tensor.shape[0];
      if (rows === undefined) {
        rows = batch;
        rowsFrom = tensor.name;
      } else if (batch !== rows) {
        throw badRequest(
          `input '${tensor.name}': batch dimension ${batch} differs from input '${rowsFrom}' (${rows}); all inputs must carry the same number of rows`,
        );
      }
    }
  }
  // Each input known and given once: as many as the signature has means none is missing.
  if (inputs.length < signature.inputs.length) {
    for (const spec of signature.inputs) {
      if (!named(inputs, spec.name, inputs.length))
        throw badRequest(`missing input '${spec.name}': expected ${describe(spec)}`);
    }
  }
  if (requestedOutputs) checkRequestedOutputs(signature.outputs, requestedOutputs);
  return rows ?? 1;
}

/** The first of `list[0..end)` called `name`. */
function named<T extends { readonly name: string }>(
  list: readonly T[],
  name: string,
  end: number,
): T | undefined {
  for (let i = 0; i < end; i++) if (list[i].name === name) return list[i];
  return undefined;
}

function checkTensor(tensor: Tensor, spec: TensorSpec, maxBatchSize: number): void {
  const name = `input '${tensor.name}'`;
  if (tensor.datatype !== spec.datatype) {
    throw badRequest(`${name}: expected datatype ${spec.datatype}, got ${tensor.datatype}`);
  }
  const shape = tensor.shape;
  if (shape.length !== spec.shape.length) {
    throw badRequest(
      `${name}: expected shape ${fmtShape(spec.shape)} (rank ${spec.shape.length}), got ${fmtShape(shape)} (rank ${shape.length})`,
    );
  }
  for (let i = 0; i < shape.length; i++) {
    const want = spec.shape[i];
    const got = shape[i];
    if (!Number.isInteger(got) || got < 0) {
      throw badRequest(`${name}: dimension ${i} must be a non-negative integer, got ${got}`);
    }
    if (want >= 0 && got !== want) {
      throw badRequest(
        `${name}: expected shape ${fmtShape(spec.shape)}, got ${fmtShape(shape)} (dimension ${i})`,
      );
    }
  }
  if (maxBatchSize > 0) {
    const batch = shape[0];
    if (batch < 1) throw badRequest(`${name}: batch dimension must be at least 1, got ${batch}`);
    if (batch > maxBatchSize) {
      throw badRequest(
        `${name}: batch dimension ${batch} exceeds the model's max_batch_size ${maxBatchSize}`,
      );
    }
  }
  const expected = elementCount(shape);
  if (tensor.data.length !== expected) {
    throw badRequest(
      `${name}: shape ${fmtShape(shape)} needs ${expected} elements, got ${tensor.data.length}`,
    );
  }
  const bad = firstNonFinite(tensor);
  if (bad >= 0) {
    throw badRequest(
      `${name}: element ${bad} is ${nonFiniteName(tensor, bad)}; ${tensor.datatype} inputs must be finite`,
    );
  }
}

/** Index of the first NaN or ±Inf element of a floating tensor, or -1. */
function firstNonFinite(tensor: Tensor): number {
  const kind = DATATYPE_INFO[tensor.datatype].kind;
  if (kind === 'float') {
    const data = tensor.data as Float32Array | Float64Array;
    for (let i = 0; i < data.length; i++) {
      // x - x is NaN exactly for NaN and ±Inf: one subtraction instead of Number.isFinite's call.
      if (data[i] - data[i] !== 0) return i;
    }
  } else if (kind === 'half') {
    const bits = tensor.data as Uint16Array;
    // IEEE half: an all-ones exponent (0x7c00) encodes Inf (zero mantissa) or NaN.
    for (let i = 0; i < bits.length; i++) if ((bits[i] & 0x7c00) === 0x7c00) return i;
  }
  return -1;
}

function nonFiniteName(tensor: Tensor, i: number): string {
  let value: number;
  if (tensor.datatype === 'FP16') {
    const bits = (tensor.data as Uint16Array)[i];
    if (bits & 0x03ff) return 'NaN';
    value = bits & 0x8000 ? -Infinity : Infinity;
  } else {
    value = (tensor.data as TensorData as Float32Array)[i];
  }
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

function checkRequestedOutputs(outputs: readonly TensorSpec[], requested: readonly string[]): void {
  const known = new Set(outputs.map((o) => o.name));
  const seen = new Set<string>();
  for (const name of requested) {
    if (!known.has(name)) {
      throw badRequest(
        `unknown output '${name}'; the model has outputs ${outputs.map((o) => `'${o.name}'`).join(', ')}`,
      );
    }
    if (seen.has(name)) throw badRequest(`output '${name}' is requested more than once`);
    seen.add(name);
  }
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function describe(spec: TensorSpec): string {
  return `${spec.datatype} ${fmtShape(spec.shape)}`;
}

function describeAll(specs: readonly TensorSpec[]): string {
  return specs.map((s) => `'${s.name}' (${describe(s)})`).join(', ');
}
