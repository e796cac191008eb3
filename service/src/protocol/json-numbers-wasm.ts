/**
 * The WebAssembly reader of numeric `data` arrays (service/assembly/json-numbers.ts, committed
 * built as json-numbers.wasm next to this file; `npm run build:wasm` rebuilds it). It reads about
 * three times faster than the JS scanner in json-numeric-data.ts, which stays the reader of every
 * array this one gives up on.
 *
 * Linear memory, from the end of the module's static data: the JSON bytes and eight zero bytes
 * (which end any number, so the reader needs no bounds checks), then the values as doubles and
 * then as FP32, and the unsettled triples. The module is compiled once, synchronously, when this file
 * loads; it is one instance per thread, used by one request at a time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of the WebAssembly JS API used here (not in ES2022's lib or Node 20's types). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Exports };
};

interface Exports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  resultPointer(): number;
  readArray(at: number, values: number, unsettled: number, room: number): number;
}

/** Above this many JSON bytes the JS scanner reads the body: linear memory never shrinks. */
export const WASM_MAX_JSON_BYTES = 4 * 1024 * 1024;
/** Unsettled values (FP32 ties) one array may have before the JS scanner takes it over. */
const UNSETTLED_ROOM = 256;
const PAGE = 65536;
/** Reported per read: values, approximate, unsettled, depth, then up to 32 lengths. */
const RESULT_WORDS = 4 + 32;

const wasm = new WebAssembly.Instance(
  new WebAssembly.Module(readFileSync(join(__dirname, 'json-numbers.wasm'))),
).exports;
/** The static data ends within the initial pages; everything after them is this file's. */
const BASE = wasm.memory.buffer.byteLength;
const RESULT = wasm.resultPointer();

/**
 * A numeric array as the WebAssembly reader read it; positions are the body's. Its values are
 * copied out of linear memory only when asked for (an FP32 request never needs the doubles), so
 * only until the next body is loaded.
 */
export interface WasmArray {
  values(): Float64Array;
  float32(): Float32Array;
  readonly dims: number[];
  readonly approximate: number;
  readonly unsettled: number[];
  readonly end: number;
}

/** Memory offsets of one loaded body's areas (absolute addresses in linear memory). */
interface Layout {
  /** Where the next array's values go: each array of the body keeps its own. */
  values: number;
  unsettled: number;
}

let loaded: Layout | undefined;
/** Bodies loaded so far: an array's values are only there while its body is the last loaded. */
let loads = 0;
/** Views of linear memory, made again when it grows (growing detaches the old buffer). */
let bytes = new Uint8Array(wasm.memory.buffer);
let result = new Int32Array(wasm.memory.buffer, RESULT, RESULT_WORDS);

const align8 = (n: number) => (n + 7) & ~7;

/** The JSON bytes of the loaded body, as a view of linear memory (length -1: none loaded). */
let loadedLength = -1;

/**
 * Copies the JSON bytes into linear memory for `readWasmArray`, replacing any body loaded before:
 * one buffer, or the chunks a body arrived in, joined there without a buffer of their own. False
 * when the body is too large for this reader.
 */
export function loadWasmBody(parts: Uint8Array | readonly Uint8Array[]): boolean {
  loaded = undefined;
  loadedLength = -1;
  const chunks = parts instanceof Uint8Array ? [parts] : parts;
  let length = 0;
  for (const c of chunks) length += c.length;
  if (length > WASM_MAX_JSON_BYTES) return false;
  // A number takes at least one byte and a separator: room for every number the bytes can hold.
  const capacity = (length >> 1) + 1;
  const values = BASE + align8(length + 8);
  const unsettled = values + align8(capacity * 12);
  const needed = unsettled + UNSETTLED_ROOM * 12;
  if (needed > bytes.length) {
    wasm.memory.grow(Math.ceil((needed - bytes.length) / PAGE));
    bytes = new Uint8Array(wasm.memory.buffer);
    result = new Int32Array(wasm.memory.buffer, RESULT, RESULT_WORDS);
  }
  let at = BASE;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  // The zeros end the last number; the previous body's bytes past them are never read.
  bytes.fill(0, at, values);
  loaded = { values, unsettled };
  loadedLength = length;
  loads++;
  return true;
}

/**
 * The loaded body's JSON bytes where they are, in linear memory: a view, not a copy, valid only
 * until the next `loadWasmBody`.
 */
export function loadedWasmBody(): Buffer {
  if (loadedLength < 0) throw new Error('no body loaded for the WebAssembly reader');
  return Buffer.from(bytes.buffer, BASE, loadedLength);
}

/** Whether `b` is the loaded body's view from `loadedWasmBody` (already where the reader reads). */
export function isLoadedWasmBody(b: Uint8Array): boolean {
  return loadedLength >= 0 && b.buffer === bytes.buffer && b.byteOffset === BASE && b.length === loadedLength;
}

/**
 * The array at index `i` of the loaded body when it holds only numbers in equally long rows, read
 * by the rules of the JS scanner's `readNumericArray`; undefined when the reader leaves it to that
 * scanner (not only numbers, ragged, very deep, or many FP32 ties).
 */
export function readWasmArray(i: number): WasmArray | undefined {
  if (!loaded) throw new Error('no body loaded for the WebAssembly reader');
  const { values, unsettled } = loaded;
  const after = wasm.readArray(BASE + i, values, unsettled, UNSETTLED_ROOM);
  if (after === 0) return undefined;
  const count = result[0];
  const dims: number[] = [];
  for (let k = 0; k < result[3]; k++) dims.push(result[4 + k]);
  const triples: number[] = [];
  if (result[2] > 0) {
    const stored = new Int32Array(bytes.buffer, unsettled, result[2] * 3);
    for (let k = 0; k < stored.length; k += 3)
      triples.push(stored[k], stored[k + 1] - BASE, stored[k + 2] - BASE);
  }
  // The numbers of a body fit the area together (see loadWasmBody), so the next array goes after.
  loaded.values = values + align8(count * 12);
  const load = loads;
  const live = () => {
    if (load !== loads) throw new Error('the WebAssembly reader has loaded another body since');
    return bytes.buffer;
  };
  // Copies, each its own buffer: the FP32 array becomes the request's tensor, which may be pooled whole.
  return {
    values: () => new Float64Array(live(), values, count).slice(),
    float32: () => new Float32Array(live(), values + count * 8, count).slice(),
    dims,
    approximate: result[1],
    unsettled: triples,
    end: after - BASE,
  };
}
