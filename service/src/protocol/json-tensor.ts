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
