/**
 * The cheap way through a JSON request that carries large numeric tensors. JSON.parse turns every
 * element of `inputs[i].data` into a heap number that is then copied into a typed array; for a 32×256
 * FP32 request that is most of the decoding time. This scanner reads the `data` arrays that hold
 * only numbers straight from the bytes into a Float64Array and hands JSON.parse the rest of the
 * body with each such array replaced by `null`.
 *
 * It is an accelerator only: whenever it is unsure (escaped or repeated keys, an array holding
 * anything but numbers, ragged nesting) it leaves the array, or the whole body, to JSON.parse, and
 * the caller decodes the plain way whenever the fast decode fails, so errors come out exactly as
 * before.
 *
 * The arrays themselves are read by WebAssembly (json-numbers-wasm.ts) where it can; the JS reader
 * below takes the arrays it leaves, and is the reference it is tested against.
 */
import { isLoadedWasmBody, loadWasmBody, readWasmArray } from './json-numbers-wasm';

/** A `data` array read from the bytes: its numbers row-major, and its nesting. */
export interface NumericArray {
  /** Each element as a double; exact except at the indices listed in `inexact`. */
  readonly values: Float64Array;
  /** Length at each nesting level, outermost first: [256] for flat data, [32, 256] for nested. */
  readonly dims: readonly number[];
  /**
   * Elements whose decimal text did not give an exact double on the cheap path (more than 15
   * significant digits, or a large exponent): `values` holds an approximation within 2^-40 of the
   * true value, or NaN when there is none.
   */
  readonly approximate: number;
  /**
   * Triples (index, start, end) of the approximate elements whose FP32 value the approximation
   * does not settle (see `float32Values`); their text must be parsed exactly.
   */
  readonly unsettled: readonly number[];
  readonly source: Buffer;
  /** Each element as FP32 (`values` rounded), when the reader made them; unsettled ones not yet exact. */
  readonly float32?: Float32Array;
}

export interface ExtractedBody {
  /** The JSON text with every extracted array replaced by `null`. */
  readonly text: string;
  /** Extracted arrays by their input's index in `inputs`. */
  readonly arrays: ReadonlyMap<number, NumericArray>;
}

const SPACE = 0x20;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

const KEY_INPUTS = Buffer.from('"inputs"');
const KEY_DATA = Buffer.from('"data"');

const isWs = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipWs(b: Uint8Array, i: number, end: number): number {
  while (i < end && isWs(b[i])) i++;
  return i;
}

/** Index just past the string starting at `i` (a quote), or -1 when it is unterminated or holds raw control characters. */
function skipString(b: Uint8Array, i: number, end: number): number {
  for (i++; i < end; i++) {
    const c = b[i];
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) i++;
    else if (c < 0x20) return -1;
  }
  return -1;
}

function hasByte(b: Uint8Array, from: number, to: number, byte: number): boolean {
  for (let i = from; i < to; i++) if (b[i] === byte) return true;
  return false;
}

/** What a container is: the root object, its `inputs` array, one of its input objects, or anything else. */
type Role = 'other' | 'root' | 'inputs' | 'input';

interface Frame {
  object: boolean;
  role: Role;
  /** Objects: the next string is a key. */
  expectKey: boolean;
  /** Role of the value that follows the key just read. */
  valueRole: Role | 'data';
  /** The Inputs array: elements seen; an Input object: its index. */
  index: number;
  /** An Input object: a `data` key was seen (a second one makes the scan give up). */
  sawData: boolean;
}

const frame = (object: boolean, role: Role, index = 0): Frame => ({
  object,
  role,
  expectKey: object,
  valueRole: 'other',
  index,
  sawData: false,
});

/**
 * Finds the numeric `inputs[i].data` arrays of a JSON request body (bytes [0, end)). Undefined when
 * there is none, or when the body's structure is anything the scan does not follow exactly.
 * `wasm` false reads every array with the JS reader, for the tests and the bench that compare them.
 */
export function extractNumericData(body: Buffer, end: number, wasm = true): ExtractedBody | undefined {
  // Reads past `end` (the binary section of a binary request) must see nothing.
  const buf = body.subarray(0, end);
  // A plain Uint8Array view: V8 reads its bytes faster than a Buffer's.
  const b = new Uint8Array(buf.buffer, buf.byteOffset, end);
  const arrays = new Map<number, NumericArray>();
  const spans: number[] = [];
  const stack: Frame[] = [];
  let sawInputs = false;
  // The body goes into WebAssembly memory at the first numeric array, unless it is there already.
  let wasmLoaded = wasm ? (isLoadedWasmBody(b) ? true : undefined) : false;
  let i = skipWs(b, 0, end);
  if (b[i] !== OPEN_BRACE) return undefined;
  while (i < end) {
    const c = b[i];
    const top = stack[stack.length - 1];
    if (isWs(c) || c === COLON) {
      i++;
      continue;
    }
    if (c === COMMA) {
      if (top?.object) top.expectKey = true;
      i++;
      continue;
    }
    if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      stack.pop();
      i++;
      continue;
    }
    if (top?.object && top.expectKey) {
      // A key: the only place where structure is decided.
      if (c !== QUOTE) return undefined;
      const after = skipString(b, i, end);
      if (after < 0) return undefined;
      if ((top.role === 'root' || top.role === 'input') && hasByte(b, i, after, BACKSLASH)) {
        return undefined; // an escaped key could spell "inputs" or "data" under JSON.parse
      }
      const colon = skipWs(b, after, end);
      if (b[colon] !== COLON) return undefined;
      top.expectKey = false;
      top.valueRole = 'other';
      if (top.role === 'root' && buf.compare(KEY_INPUTS, 0, KEY_INPUTS.length, i, after) === 0) {
        if (sawInputs) return undefined;
        sawInputs = true;
        top.valueRole = 'inputs';
      } else if (top.role === 'input' && buf.compare(KEY_DATA, 0, KEY_DATA.length, i, after) === 0) {
        if (top.sawData) return undefined;
        top.sawData = true;
        top.valueRole = 'data';
      }
      i = colon + 1;
      continue;
    }
    // A value.
    let role: Role | 'data' = 'other';
    let index = 0;
    if (top === undefined) role = 'root';
    else if (top.object) role = top.valueRole;
    else if (top.role === 'inputs') index = top.index++;
    if (c === OPEN_BRACE) {
      const inInputs = top !== undefined && !top.object && top.role === 'inputs';
      stack.push(frame(true, role === 'root' ? 'root' : inInputs ? 'input' : 'other', index));
      i++;
    } else if (c === OPEN_BRACKET) {
      if (role === 'data') {
        wasmLoaded ??= loadWasmBody(b);
        const numeric = (wasmLoaded && wasmNumericArray(buf, i)) || readNumericArray(b, buf, i, end);
        if (numeric) {
          arrays.set(top!.index, numeric.array);
          spans.push(i, numeric.end);
          i = numeric.end;
          continue;
        }
      }
      stack.push(frame(false, role === 'inputs' ? 'inputs' : 'other'));
      i++;
    } else if (c === QUOTE) {
      i = skipString(b, i, end);
      if (i < 0) return undefined;
    } else {
      // A number or literal: JSON.parse judges it.
      while (i < end && !isWs(b[i]) && b[i] !== COMMA && b[i] !== CLOSE_BRACE && b[i] !== CLOSE_BRACKET) {
        i++;
      }
    }
  }
  if (arrays.size === 0) return undefined;
  let text = '';
  let from = 0;
  for (let s = 0; s < spans.length; s += 2) {
    text += buf.toString('utf8', from, spans[s]) + 'null';
    from = spans[s + 1];
  }
  text += buf.toString('utf8', from, end);
  return { text, arrays };
}

/** Exact powers of ten as doubles (10^22 is the largest). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** 10^-k, each the nearest double (within half an ulp). */
const NEG_POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e-${k}`));
/** Relative error bound used for approximate doubles, far above what `scale` can accumulate. */
const MARGIN = 2 ** -40;
/**
 * Significant digits kept in the mantissa; the rest only move the exponent. 16 digits put the
 * dropped ones within 10^-15 of the value, well inside MARGIN. The mantissa is exact when it is
 * below 2^53 (a larger one rounds to at least 2^53, every step being monotonic).
 */
const KEPT_DIGITS = 16;
const EXACT_MANTISSA = 2 ** 53;
const FOUR_ZEROS = 0x30303030;

/**
 * How many of the four bytes of `w` (little-endian: the first byte lowest) are digits before the
 * first one that is not: 0 to 4, without a branch.
 */
export function leadingDigits(w: number): number {
  // A byte is a digit when its high nibble is 3 and stays 3 with 6 added. A carry out of a byte
  // (only from 0xFA and above, not digits) changes only bytes after the first non-digit.
  const notDigit = ((w & 0xf0f0f0f0) ^ FOUR_ZEROS) | (((w + 0x06060606) & 0xf0f0f0f0) ^ FOUR_ZEROS);
  // Trailing zero bits of `notDigit` (32 when it is 0), in whole bytes. Integer arithmetic only:
  // `-notDigit` would make -0, a double, of a 0 and slow the whole loop down.
  return (32 - Math.clz32(~notDigit & ((notDigit - 1) | 0))) >> 3;
}

/** The number the first `n` (0 to 4, all digits) bytes of `w` spell, first byte highest. */
export function leadingValue(w: number, n: number): number {
  // Shifting the bytes past the digits out at the top leaves n digits under 4 - n zeros; a borrow
  // of the subtraction goes only into those bytes. Two shifts, as JS counts shifts modulo 32.
  const s = (4 - n) * 4;
  const digits = ((w - FOUR_ZEROS) << s) << s;
  // Each byte's digit times ten plus the next one's: for "1234", 12 in byte 0 and 34 in byte 2.
  const pairs = digits * 10 + (digits >>> 8);
  return (pairs & 0xff) * 100 + ((pairs >>> 16) & 0xff);
}

/** Where a number's value goes: one array of doubles, grown by doubling, and its inexact count. */
class NumberSink {
  values: Float64Array;
  length = 0;
  approximate = 0;
  unsettled: number[] = [];

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }

  grow(): void {
    const grown = new Float64Array(this.values.length * 2);
    grown.set(this.values);
    this.values = grown;
  }
}

/**
 * Reads the JSON number at `i` into `sink`; returns the index past it, or -1 when the text there
 * is not a JSON number. A mantissa below 2^53 and a power of ten up to 22 give the exact double
 * with one correctly rounded operation (Clinger's fast path); anything else is recorded as
 * approximate for the caller to settle.
 *
 * A float's text is mostly its fraction, 16 to 18 digits for an FP32 value printed as a double:
 * that part is read four bytes at a time, and the sign and the exactness of the result are
 * arithmetic rather than branches that depend on the data.
 */
function readNumber(b: Uint8Array, view: DataView, i: number, sink: NumberSink): number {
  // Past the end `b[i]` is undefined; `| 0` reads it as NUL, which ends any number, and keeps
  // `c` a small integer for the optimiser.
  const start = i;
  const sign = b[i] === MINUS ? -1 : 1;
  i += (1 - sign) >> 1;
  let c = b[i] | 0;
  let mantissa = 0;
  let kept = 0;
  let exponent = 0;
  // The digits past the kept ones, or-ed: nonzero when the text is not exactly mantissa × 10^exponent.
  let dropped = 0;
  let d = c - ZERO;
  if (d === 0) {
    d = (c = b[++i] | 0) - ZERO;
  } else if (d > 0 && d <= 9) {
    do {
      if (kept < KEPT_DIGITS) {
        mantissa = mantissa * 10 + d;
        kept++;
      } else {
        exponent++;
        dropped |= d;
      }
      d = (c = b[++i] | 0) - ZERO;
    } while (d >= 0 && d <= 9);
  } else {
    return -1;
  }
  if (c === DOT) {
    d = (c = b[++i] | 0) - ZERO;
    if (!(d >= 0 && d <= 9)) return -1;
    // The zeros after "0." only move the exponent.
    if (kept === 0) {
      for (; d === 0; d = (c = b[++i] | 0) - ZERO) exponent--;
    }
    // Four bytes at a time (a float's text is mostly its fraction). The last four bytes of the
    // body, and a run that does not fit these steps, go to the byte loop below.
    const last = b.length - 4;
    // Whole runs of four digits into the mantissa.
    while (i <= last && kept <= KEPT_DIGITS - 4) {
      const w = view.getUint32(i, true);
      if (leadingDigits(w) !== 4) break;
      mantissa = mantissa * 10_000 + leadingValue(w, 4);
      kept += 4;
      exponent -= 4;
      i += 4;
    }
    // The 0 to 3 digits that end a shorter text, without a branch on how many.
    if (i <= last && kept <= KEPT_DIGITS - 4) {
      const w = view.getUint32(i, true);
      const n = leadingDigits(w);
      mantissa = mantissa * POW10[n] + leadingValue(w, n);
      kept += n;
      exponent -= n;
      i += n;
    }
    // The digits past KEPT_DIGITS only tell whether the text is exact.
    if (kept === KEPT_DIGITS) {
      while (i <= last) {
        const w = view.getUint32(i, true);
        const n = leadingDigits(w);
        dropped |= leadingValue(w, n);
        i += n;
        if (n < 4) break;
      }
    }
    for (d = (c = b[i] | 0) - ZERO; d >= 0 && d <= 9; d = (c = b[++i] | 0) - ZERO) {
      if (kept < KEPT_DIGITS) {
        mantissa = mantissa * 10 + d;
        kept++;
        exponent--;
      } else dropped |= d;
    }
  }
  if (c === 0x65 || c === 0x45) {
    c = b[++i] | 0;
    let expSign = 1;
    if (c === MINUS || c === PLUS) {
      if (c === MINUS) expSign = -1;
      c = b[++i] | 0;
    }
    if (!(c >= ZERO && c <= NINE)) return -1;
    let e = 0;
    // Far past any double's range either way; the cap only keeps `e` a small integer.
    for (; c >= ZERO && c <= NINE; c = b[++i] | 0) if (e < 100_000) e = e * 10 + (c - ZERO);
    exponent += expSign * e;
  }
  let v: number;
  let exact = dropped === 0 && mantissa < EXACT_MANTISSA;
  if (mantissa === 0) {
    v = 0; // JSON.parse reads 0e999999 as 0 too
    exact = true;
  } else if (exponent >= -22 && exponent <= 22) {
    // Exact when `exact`; otherwise within a few ulps of the text.
    v = exponent < 0 ? mantissa / POW10[-exponent] : mantissa * POW10[exponent];
  } else {
    v = kept + exponent > -300 && kept + exponent < 300 ? scale(mantissa, exponent) : NaN;
    exact = false;
  }
  // Rounding is monotonic: when both ends of the error interval round to one float, so does the
  // true value. Only the others need their text parsed: at an FP32 tie, or out of range.
  const r = v * MARGIN;
  const unsure = !(Math.fround(v - r) === Math.fround(v + r));
  sink.approximate += exact ? 0 : 1;
  if (unsure && !exact) sink.unsettled.push(sink.length, start, i);
  if (sink.length === sink.values.length) sink.grow();
  sink.values[sink.length++] = sign * v;
  return i;
}

/**
 * mantissa × 10^exponent within a few ulps, by multiplications only (a division costs several);
 * only called where no step under- or overflows.
 */
function scale(mantissa: number, exponent: number): number {
  let v = mantissa;
  for (; exponent > 22; exponent -= 22) v *= POW10[22];
  for (; exponent < -22; exponent += 22) v *= NEG_POW10[22];
  return exponent >= 0 ? v * POW10[exponent] : v * NEG_POW10[-exponent];
}

/**
 * The array at `i` when it holds only numbers, at one depth, in equally long rows at every level,
 * and no empty array; undefined otherwise (JSON.parse and the shape check then judge it). Exported
 * as the reference the WebAssembly reader is tested against.
 */
export function readNumericArray(
  b: Uint8Array,
  source: Buffer,
  i: number,
  end: number,
): { array: NumericArray; end: number } | undefined {
  // About 16 bytes a value (most texts of floats are longer): rarely grown, never far too large.
  const sink = new NumberSink(Math.max(64, (end - i) >> 4));
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  const dims: number[] = [];
  const counts: number[] = [];
  let depth = 0;
  let leafDepth = -1;
  for (;;) {
    // At a value.
    i = skipWs(b, i, end);
    if (b[i] === OPEN_BRACKET) {
      if (leafDepth >= 0 && depth >= leafDepth) return undefined;
      counts[depth++] = 0;
      i++;
      continue;
    }
    if (leafDepth < 0) leafDepth = depth;
    else if (depth !== leafDepth) return undefined;
    // A run of numbers, one after each comma: the bulk of the array, read without the checks above.
    const run = sink.length;
    for (;;) {
      i = readNumber(b, view, i, sink);
      if (i < 0) return undefined;
      if (b[i] <= SPACE) i = skipWs(b, i, end);
      if (b[i] !== COMMA) break;
      if (b[++i] <= SPACE) i = skipWs(b, i, end);
      if (b[i] === OPEN_BRACKET) return undefined; // deeper than the numbers before it
    }
    counts[depth - 1] += sink.length - run - 1;
    // After a value: close arrays until a comma.
    for (;;) {
      counts[depth - 1]++;
      i = skipWs(b, i, end);
      if (b[i] === COMMA) {
        i++;
        break;
      }
      if (b[i] !== CLOSE_BRACKET) return undefined;
      i++;
      const level = depth - 1;
      if (dims[level] === undefined) dims[level] = counts[level];
      else if (dims[level] !== counts[level]) return undefined;
      depth--;
      if (depth === 0) {
        return {
          array: {
            values: sink.values.subarray(0, sink.length),
            dims,
            approximate: sink.approximate,
            unsettled: sink.unsettled,
            source,
          },
          end: i,
        };
      }
    }
  }
}

/** The WebAssembly reader's array at `i`, or undefined where it leaves the array to `readNumericArray`. */
function wasmNumericArray(source: Buffer, i: number): { array: NumericArray; end: number } | undefined {
  const read = readWasmArray(i);
  if (!read) return undefined;
  const { dims, approximate, unsettled, end } = read;
  // Copied out of WebAssembly memory when read, which the request's decode does before any other.
  const array: NumericArray = {
    dims,
    approximate,
    unsettled,
    source,
    get values() {
      return read.values();
    },
    get float32() {
      return read.float32();
    },
  };
  return { array, end };
}

/** The elements as FP32, each exactly what JSON.parse's double rounds to. */
export function float32Values(a: NumericArray): Float32Array {
  const out = a.float32 ?? new Float32Array(a.values);
  const { unsettled, source } = a;
  for (let k = 0; k < unsettled.length; k += 3) {
    out[unsettled[k]] = Number(source.toString('latin1', unsettled[k + 1], unsettled[k + 2]));
  }
  return out;
}

/** The elements as the exact doubles JSON.parse gives; undefined when some are only approximate. */
export function float64Values(a: NumericArray): Float64Array | undefined {
  return a.approximate === 0 ? a.values : undefined;
}
