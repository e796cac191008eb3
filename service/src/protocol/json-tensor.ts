import { DATATYPE_INFO } from '../core/datatypes';
import { badRequest } from '../core/errors';
import type { Datatype, TensorData } from '../core/tensor';
import { fromHalfBits, toHalfBits } from './fp16';

/**
 * Row-major flattening of `data`: flat arrays are returned as they are (the common case); nested
 * ones must match `shape` level by level. The walk goes one level at a time, never recursing, so
 * no nesting depth a client sends can exhaust the stack.
 */
export function flattenData(name: string, data: unknown[], shape: readonly number[]): unknown[] {
  for (let i = 0; i < data.length; i++) {
    if (Array.isArray(data[i])) return flattenNested(name, data, shape);
  }
  return data;
}

function flattenNested(name: string, data: unknown[], shape: readonly number[]): unknown[] {
  const fail = (detail: string) =>
    badRequest(`input '${name}': nested data does not match shape ${JSON.stringify(shape)}: ${detail}`);
  // `level` holds the arrays at depth `d`, in row-major order.
  let level: unknown[][] = [data];
  for (let d = 0; d < shape.length; d++) {
    const next: unknown[] = [];
    for (let i = 0; i < level.length; i++) {
      const a = level[i];
      if (a.length !== shape[d]) {
        throw fail(
          `${at(i, shape, d)} has ${a.length} entries, shape ${JSON.stringify(shape)} needs ${shape[d]}`,
        );
      }
      for (let j = 0; j < a.length; j++) next.push(a[j]);
    }
    if (d === shape.length - 1) {
      const k = next.findIndex((v) => Array.isArray(v));
      if (k >= 0) throw fail(`${at(k, shape, d + 1)} is an array, expected a value`);
      return next;
    }
    const k = next.findIndex((v) => !Array.isArray(v));
    if (k >= 0) throw fail(`${at(k, shape, d + 1)} must be an array of ${shape[d + 1]}`);
    level = next as unknown[][];
  }
  throw fail('a shape without dimensions takes flat data');
}

/** `data[1][0]`: the position of the `i`-th array (row-major) at nesting depth `depth`. */
function at(i: number, shape: readonly number[], depth: number): string {
  const idx: number[] = [];
  for (let d = depth - 1; d >= 0; d--) {
    idx.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return `data${idx.map((x) => `[${x}]`).join('')}`;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 32 ? `${v.slice(0, 32)}...` : v);
  if (v === null) return 'null';
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
}

/** A module function rather than a closure in tensorDataFromJson: no function to allocate per tensor. */
function valueError(name: string, datatype: Datatype, values: unknown[], i: number, expected: string): Error {
  return badRequest(
    `input '${name}': data[${i}] must be ${expected} for ${datatype}, got ${describe(values[i])}`,
  );
}

/**
 * JSON element values -> typed storage for `datatype`. Every element is checked: a value that does
 * not fit the datatype (type, integer range, boolean) is a 400 naming the tensor and index.
 */
export function tensorDataFromJson(name: string, datatype: Datatype, values: unknown[]): TensorData {
  const info = DATATYPE_INFO[datatype];
  const n = values.length;

  switch (info.kind) {
    case 'float': {
      const out = new info.array!(n) as Float32Array | Float64Array;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'number') throw valueError(name, datatype, values, i, 'a number');
        out[i] = v;
      }
      return out;
    }
    case 'half': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'number') throw valueError(name, datatype, values, i, 'a number');
        out[i] = toHalfBits(v);
      }
      return out;
    }
    case 'int': {
      const out = new info.array!(n) as Int32Array;
      const min = info.min as number;
      const max = info.max as number;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
          throw valueError(name, datatype, values, i, `an integer in [${min}, ${max}]`);
        }
        out[i] = v;
      }
      return out;
    }
    case 'bigint': {
      const out = new info.array!(n) as BigInt64Array;
      const min = info.min as bigint;
      const max = info.max as bigint;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        // JSON numbers above 2^53 have already lost precision in JSON.parse; refuse rather than guess.
        if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
          throw valueError(
            name,
            datatype,
            values,
            i,
            `an integer in [${min}, ${max}] representable in JSON (|v| <= 2^53-1)`,
          );
        }
        const b = BigInt(v);
        if (b < min || b > max) throw valueError(name, datatype, values, i, `an integer in [${min}, ${max}]`);
        out[i] = b;
      }
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'boolean') throw valueError(name, datatype, values, i, 'true or false');
        out[i] = v ? 1 : 0;
      }
      return out;
    }
    case 'bytes': {
      const out: Buffer[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'string') throw valueError(name, datatype, values, i, 'a string');
        out[i] = Buffer.from(v, 'utf8');
      }
      return out;
    }
  }
}

/** Typed storage -> flat JSON array (row-major), the response form the protocol specifies. */
export function tensorDataToJson(datatype: Datatype, data: TensorData): unknown[] {
  const kind = DATATYPE_INFO[datatype].kind;
  const n = data.length;
  const out: unknown[] = new Array(n);
  switch (kind) {
    case 'float':
    case 'int':
      for (let i = 0; i < n; i++) out[i] = (data as Float32Array)[i];
      return out;
    case 'bigint':
      // JSON has no 64-bit integers; Triton and KServe emit plain numbers as well.
      for (let i = 0; i < n; i++) out[i] = Number((data as BigInt64Array)[i]);
      return out;
    case 'half':
      for (let i = 0; i < n; i++) out[i] = fromHalfBits((data as Uint16Array)[i]);
      return out;
    case 'bool':
      for (let i = 0; i < n; i++) out[i] = (data as Uint8Array)[i] !== 0;
      return out;
    case 'bytes':
      for (let i = 0; i < n; i++) out[i] = (data as Buffer[])[i].toString('utf8');
      return out;
  }
}

/** A number as JSON.stringify writes it: the same digits as String, null when not finite. */
const jsonNumber = (v: number): string => (Number.isFinite(v) ? String(v) : 'null');

/**
 * Above this many elements JSON.stringify of the values is the faster: the appended text costs
 * more per element as it grows (FP32, alternating runs: 35 against 110 ns per element at 320,
 * about even at 4000, twice JSON.stringify's time at 64000; docs/benchmarks.md, seventh round).
 */
const TEXT_MAX_ELEMENTS = 2048;

/**
 * `JSON.stringify(tensorDataToJson(datatype, data))`, written directly up to TEXT_MAX_ELEMENTS: no
 * array of JS values to build and walk again (response encoding, docs/benchmarks.md, seventh round).
 */
export function tensorDataToJsonText(datatype: Datatype, data: TensorData): string {
  const kind = DATATYPE_INFO[datatype].kind;
  const n = data.length;
  if (n === 0) return '[]';
  if (n > TEXT_MAX_ELEMENTS) return JSON.stringify(tensorDataToJson(datatype, data));
  let text = '[';
  switch (kind) {
    case 'float':
      text += jsonNumber((data as Float32Array)[0]);
      for (let i = 1; i < n; i++) text += ',' + jsonNumber((data as Float32Array)[i]);
      break;
    case 'int':
      text += String((data as Int32Array)[0]);
      for (let i = 1; i < n; i++) text += ',' + String((data as Int32Array)[i]);
      break;
    case 'bigint':
      // As tensorDataToJson: a plain number, which any 64-bit integer is as a (finite) double.
      text += String(Number((data as BigInt64Array)[0]));
      for (let i = 1; i < n; i++) text += ',' + String(Number((data as BigInt64Array)[i]));
      break;
    case 'half':
      text += jsonNumber(fromHalfBits((data as Uint16Array)[0]));
      for (let i = 1; i < n; i++) text += ',' + jsonNumber(fromHalfBits((data as Uint16Array)[i]));
      break;
    case 'bool':
      for (let i = 0; i < n; i++)
        text += (i === 0 ? '' : ',') + ((data as Uint8Array)[i] !== 0 ? 'true' : 'false');
      break;
    case 'bytes':
      for (let i = 0; i < n; i++)
        text += (i === 0 ? '' : ',') + JSON.stringify((data as Buffer[])[i].toString('utf8'));
      break;
  }
  return text + ']';
}
