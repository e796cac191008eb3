/**
 * The numeric `data` arrays of a JSON request, read by WebAssembly (AssemblyScript; built into
 * service/src/protocol/json-numbers.wasm by `npm run build:wasm`, loaded by
 * service/src/protocol/json-numbers-wasm.ts). It is `readNumericArray` and `readNumber` of
 * service/src/protocol/json-numeric-data.ts on 64-bit words: eight digits per load, the kept digits
 * an exact integer, each value stored both as a double and as an FP32. Every rule that decides a
 * value (16 kept digits, Clinger's fast path, the error interval, what is unsettled) is the JS
 * scanner's, so the two agree on every text (service/test/protocol-json-wasm.test.ts).
 *
 * The caller copies the JSON bytes into linear memory followed by at least eight zero bytes: a zero
 * ends any number and is not whitespace, so no read needs a bounds check. Anything the reader does
 * not follow it gives up on (returns 0), and the JS scanner then reads that array.
 */

const SPACE: u32 = 0x20;
const COMMA: u32 = 0x2c;
const MINUS: u32 = 0x2d;
const PLUS: u32 = 0x2b;
const DOT: u32 = 0x2e;
const ZERO: u32 = 0x30;
const OPEN_BRACKET: u32 = 0x5b;
const CLOSE_BRACKET: u32 = 0x5d;

const ZEROS: u64 = 0x3030303030303030;
/** Significant digits kept, as in the JS scanner (KEPT_DIGITS there). */
const KEPT_DIGITS: i32 = 16;
const EXACT_MANTISSA: u64 = 1 << 53;
/** The JS scanner's MARGIN: the relative error bound of an approximate double. */
const MARGIN: f64 = 9.094947017729282e-13; // 2^-40
/** Deeper nesting than this is left to the JS scanner. */
const MAX_DEPTH: i32 = 32;

const POW10: StaticArray<f64> = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];
const NEG_POW10: StaticArray<f64> = [
  1, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14, 1e-15, 1e-16,
  1e-17, 1e-18, 1e-19, 1e-20, 1e-21, 1e-22,
];
const POW10_INT: StaticArray<u64> = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000];

/**
 * What a read reports, as i32s: [0] values, [1] approximate values, [2] unsettled values, [3]
 * nesting depth, then the length at each level, outermost first.
 */
const RESULT = memory.data(4 * (4 + MAX_DEPTH));
/** Elements counted so far at each open level. */
const COUNTS = memory.data(4 * MAX_DEPTH);

export function resultPointer(): usize {
  return RESULT;
}

// Where the current read stores its values; set by readArray.
let valuesOut: usize = 0;
let unsettledOut: usize = 0;
let unsettledRoom: i32 = 0;
let count: i32 = 0;
let approximate: i32 = 0;
let unsettled: i32 = 0;

/** How many of the eight bytes of `w` (the first byte lowest) are digits before the first that is not. */
function leadingDigits(w: u64): i32 {
  // A byte's high bit is set by +0x46 when it is above '9' and by -0x30 when it is below '0'. A
  // carry or borrow only moves into later bytes, past the first non-digit.
  const notDigit = ((w + 0x4646464646464646) | (w - ZEROS)) & 0x8080808080808080;
  return <i32>(ctz(notDigit) >> 3);
}

/** The number the first `n` (0 to 8, all digits) bytes of `w` spell, first byte highest. */
function leadingValue(w: u64, n: i32): u64 {
  // The n digits to the top, zeros under them; two shifts as one of 64 would be one of 0.
  const s = <u64>((8 - n) * 4);
  let v = ((w - ZEROS) << s) << s;
  // Pairs, then fours, then all eight (the byte order of the text is the digits' order).
  v = v * 10 + (v >> 8);
  return (
    ((v & 0x000000ff000000ff) * 0x000f424000000064 + ((v >> 16) & 0x000000ff000000ff) * 0x0000271000000001) >>
    32
  );
}

/** Nonzero when a digit among bytes [from, to) of `w` (all digits) is not 0; 0 when from is to. */
function anyNonzero(w: u64, from: i32, to: i32): u64 {
  const s = <u64>((8 - to) * 4);
  const r = <u64>((8 - to + from) * 4);
  return ((((w - ZEROS) << s) << s) >> r) >> r;
}

/** mantissa × 10^exponent by multiplications, as the JS scanner's `scale`. */
function scale(v: f64, exponent: i32): f64 {
  for (; exponent > 22; exponent -= 22) v *= 1e22;
  for (; exponent < -22; exponent += 22) v *= 1e-22;
  return exponent >= 0 ? v * unchecked(POW10[exponent]) : v * unchecked(NEG_POW10[-exponent]);
}

function skipWs(p: usize): usize {
  let c = <u32>load<u8>(p);
  while (c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09) c = <u32>load<u8>(++p);
  return p;
}

/**
 * Reads the numbers from `p` on, one after each comma, as the JS scanner's `readNumber` each; returns
 * the address past the last, or 0 when a text is not a JSON number or an array follows a comma.
 * One call per row: the number's code sits in the loop, where it runs fastest.
 */
function readRun(p: usize): usize {
  while (true) {
    const start = p;
    const negative = <u32>load<u8>(p) == MINUS;
    p += <usize>negative;
    let mantissa: u64 = 0;
    let kept: i32 = 0;
    let exponent: i32 = 0;
    // Nonzero when a digit past the kept ones is: the text is then not exactly mantissa × 10^exponent.
    let dropped: u64 = 0;
    let c = <u32>load<u8>(p);
    if (c == ZERO) {
      p++;
    } else if (c - ZERO - 1 < 9) {
      // Word by word: the next load's address does not wait for this word's digit count (see below).
      for (let at = p; ; at += 8) {
        const w = load<u64>(at);
        const n = leadingDigits(w);
        const take = min(n, KEPT_DIGITS - kept);
        mantissa = mantissa * unchecked(POW10_INT[take]) + leadingValue(w, take);
        kept += take;
        if (n > take) {
          exponent += n - take;
          dropped |= anyNonzero(w, take, n);
        }
        if (n < 8) {
          p = at + n;
          break;
        }
      }
    } else {
      return 0;
    }
    c = <u32>load<u8>(p);
    if (c == DOT) {
      p++;
      if (<u32>load<u8>(p) - ZERO > 9) return 0;
      // The zeros after "0." only move the exponent.
      if (kept == 0) {
        while (<u32>load<u8>(p) == ZERO) {
          p++;
          exponent--;
        }
      }
      const w1 = load<u64>(p);
      const w2 = load<u64>(p + 8);
      if (kept <= 8 && (leadingDigits(w1) & leadingDigits(w2)) == 8) {
        // Sixteen digits or more, the usual text of a float: all of the first word, and of the second
        // what the integer part left of the 16 kept.
        const take = 8 - kept;
        mantissa =
          (mantissa * 100000000 + leadingValue(w1, 8)) * unchecked(POW10_INT[take]) + leadingValue(w2, take);
        dropped = anyNonzero(w2, take, 8);
        exponent -= 16 - kept;
        kept = KEPT_DIGITS;
        for (let at = p + 16; ; at += 8) {
          const w = load<u64>(at);
          const n = leadingDigits(w);
          dropped |= anyNonzero(w, 0, n);
          if (n < 8) {
            p = at + n;
            break;
          }
        }
      } else {
        // The end of the number is the one address that depends on the digits; loading each next
        // word at a fixed step keeps the digit count off the chain of loads from one number to the next.
        for (let at = p; ; at += 8) {
          const w = load<u64>(at);
          const n = leadingDigits(w);
          const take = min(n, KEPT_DIGITS - kept);
          mantissa = mantissa * unchecked(POW10_INT[take]) + leadingValue(w, take);
          kept += take;
          exponent -= take;
          dropped |= anyNonzero(w, take, n);
          if (n < 8) {
            p = at + n;
            break;
          }
        }
      }
      c = <u32>load<u8>(p);
    }
    if ((c | 0x20) == 0x65) {
      c = <u32>load<u8>(++p);
      let expNegative = false;
      if (c == MINUS || c == PLUS) {
        expNegative = c == MINUS;
        c = <u32>load<u8>(++p);
      }
      if (c - ZERO > 9) return 0;
      let e: i32 = 0;
      // Far past any double's range either way; the cap only keeps `e` small.
      do {
        if (e < 100000) e = e * 10 + <i32>(c - ZERO);
        c = <u32>load<u8>(++p);
      } while (c - ZERO <= 9);
      exponent += expNegative ? -e : e;
    }
    let v: f64;
    let exact = dropped == 0 && mantissa < EXACT_MANTISSA;
    if (mantissa == 0) {
      v = 0;
      exact = true;
    } else if (exponent >= -22 && exponent <= 22) {
      // Exact when `exact` (Clinger's fast path); otherwise within a few ulps of the text.
      const m = <f64>mantissa;
      v = exponent < 0 ? m / unchecked(POW10[-exponent]) : m * unchecked(POW10[exponent]);
    } else {
      v = kept + exponent > -300 && kept + exponent < 300 ? scale(<f64>mantissa, exponent) : NaN;
      exact = false;
    }
    if (!exact) {
      approximate++;
      // Both ends of the error interval round to one float, or the text must be parsed exactly.
      const r = v * MARGIN;
      if (!(<f32>(v - r) == <f32>(v + r))) {
        if (unsettled == unsettledRoom) return 0;
        const at = unsettledOut + <usize>unsettled * 12;
        store<i32>(at, count);
        store<u32>(at, <u32>start, 4);
        store<u32>(at, <u32>p, 8);
        unsettled++;
      }
    }
    if (negative) v = -v;
    store<f64>(valuesOut + ((<usize>count) << 3), v);
    count++;
    if (<u32>load<u8>(p) <= SPACE) p = skipWs(p);
    if (<u32>load<u8>(p) != COMMA) return p;
    p++;
    if (<u32>load<u8>(p) <= SPACE) p = skipWs(p);
    if (<u32>load<u8>(p) == OPEN_BRACKET) return 0;
  }
}

/**
 * Reads the array at `p` (a '[') when it holds only numbers, at one depth, in equally long rows at
 * every level, as the JS scanner's `readNumericArray`. `values` gets the n values as doubles, then
 * as FP32 (12 bytes each: room for every number the bytes could hold); (index, start, end) of each unsettled value go to `unsettledAt`, at most `room` of
 * them. Returns the address past the array, or 0 to leave it to the JS scanner; the counts and
 * lengths are at `resultPointer()`.
 */
export function readArray(p: usize, values: usize, unsettledAt: usize, room: i32): usize {
  valuesOut = values;
  unsettledOut = unsettledAt;
  unsettledRoom = room;
  count = 0;
  approximate = 0;
  unsettled = 0;
  const dims = RESULT + 16;
  // A level's length is set when its first array closes.
  for (let k = 0; k < MAX_DEPTH; k++) store<i32>(dims + ((<usize>k) << 2), -1);
  let depth: i32 = 0;
  let leafDepth: i32 = -1;
  while (true) {
    // At a value.
    p = skipWs(p);
    if (<u32>load<u8>(p) == OPEN_BRACKET) {
      if ((leafDepth >= 0 && depth >= leafDepth) || depth == MAX_DEPTH) return 0;
      store<i32>(COUNTS + ((<usize>depth) << 2), 0);
      depth++;
      p++;
      continue;
    }
    if (leafDepth < 0) leafDepth = depth;
    else if (depth != leafDepth) return 0;
    // A run of numbers, one after each comma.
    const run = count;
    p = readRun(p);
    if (p == 0) return 0;
    let at = COUNTS + ((<usize>(depth - 1)) << 2);
    store<i32>(at, load<i32>(at) + count - run - 1);
    // After a value: close arrays until a comma.
    for (;;) {
      at = COUNTS + ((<usize>(depth - 1)) << 2);
      store<i32>(at, load<i32>(at) + 1);
      p = skipWs(p);
      const c = <u32>load<u8>(p);
      if (c == COMMA) {
        p++;
        break;
      }
      if (c != CLOSE_BRACKET) return 0;
      p++;
      const dim = dims + ((<usize>(depth - 1)) << 2);
      const length = load<i32>(at);
      if (load<i32>(dim) < 0) store<i32>(dim, length);
      else if (load<i32>(dim) != length) return 0;
      depth--;
      if (depth == 0) {
        const floats = values + ((<usize>count) << 3);
        for (let k: usize = 0; k < <usize>count; k++) {
          store<f32>(floats + (k << 2), <f32>load<f64>(values + (k << 3)));
        }
        store<i32>(RESULT, count);
        store<i32>(RESULT, approximate, 4);
        store<i32>(RESULT, unsettled, 8);
        store<i32>(RESULT, leafDepth, 12);
        return p;
      }
    }
  }
}
