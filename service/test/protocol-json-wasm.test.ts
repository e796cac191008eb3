import fc from 'fast-check';
import { ServiceError } from '../src/core/errors';
import { decodeInferRequest } from '../src/protocol/infer-request';
import { loadWasmBody, readWasmArray, WASM_MAX_JSON_BYTES } from '../src/protocol/json-numbers-wasm';
import {
  extractNumericData,
  float32Values,
  float64Values,
  readNumericArray,
  type NumericArray,
} from '../src/protocol/json-numeric-data';
import { corruptionOf, float32Midpoint, numberText } from './json-number-support';

/** An array's decoded values as bytes, so that -0, NaN payloads and every bit compare. */
function decoded(a: NumericArray | undefined) {
  if (!a) return undefined;
  const f64 = float64Values(a);
  return {
    dims: a.dims,
    approximate: a.approximate,
    float32: Buffer.from(float32Values(a).buffer).toString('hex'),
    float64: f64 && Buffer.from(f64.buffer, f64.byteOffset, f64.byteLength).toString('hex'),
  };
}

const body = (data: string, datatype = 'FP32') =>
  Buffer.from(`{"inputs":[{"name":"x","datatype":"${datatype}","shape":[1],"data":${data}}]}`);

/** The first input's array read by the WebAssembly reader and by the JS reader. */
function bothReaders(b: Buffer) {
  const wasm = extractNumericData(b, b.length, true);
  const js = extractNumericData(b, b.length, false);
  return {
    wasm: decoded(wasm?.arrays.get(0)),
    js: decoded(js?.arrays.get(0)),
    text: wasm?.text,
    jsText: js?.text,
  };
}

/** What the WebAssembly reader alone makes of the body's first `data` array (undefined: left to JS). */
function wasmOnly(b: Buffer) {
  expect(loadWasmBody(b)).toBe(true);
  return readWasmArray(b.indexOf('[', b.indexOf('"data"')));
}

const separator = fc.constantFrom(',', ', ', ' ,', '\n,\t', ',\r\n ');

/** `texts` as a JSON array, flat or in rows of `cols`, with the given separators. */
function arrayText(texts: string[], cols: number, seps: string[]): string {
  const sep = (k: number) => seps[k % seps.length];
  if (texts.length % cols !== 0) return `[${texts.map((t, k) => (k ? sep(k) : '') + t).join('')}]`;
  const rows: string[] = [];
  for (let r = 0; r < texts.length; r += cols) {
    rows.push(
      `[ ${texts
        .slice(r, r + cols)
        .map((t, k) => (k ? sep(r + k) : '') + t)
        .join('')} ]`,
    );
  }
  return `[${rows.join(sep(1))}]`;
}

/** Texts around FP32 and FP64 rounding ties, at 9 to 25 significant digits, and either side of them. */
const tieText = fc
  .tuple(
    fc.integer({ min: 1, max: 0x7f7ffffe }),
    fc.integer({ min: 9, max: 25 }),
    fc.constantFrom(-1, 0, 1),
    fc.boolean(),
  )
  .map(([bits, digits, nudge, negative]) => {
    const mid = float32Midpoint(bits);
    // toPrecision stops at 21 digits for these magnitudes' exponent form; longer texts pad zeros or
    // ones past it, which keeps the tie or moves just off it.
    let text = mid.toPrecision(Math.min(digits, 21));
    if (digits > 21)
      text = text.replace(/(\d)(e|$)/, (_, d, e) => `${d}${(nudge < 0 ? '0' : '1').repeat(digits - 21)}${e}`);
    else if (nudge)
      text = text.replace(/\d(?=e|$)/, (d) => String(Math.min(9, Math.max(0, Number(d) + nudge))));
    return (negative ? '-' : '') + text;
  });

/** Integer and fraction parts of every length across the reader's 8-byte words, with exponents. */
const partsText = fc
  .tuple(
    fc.boolean(),
    fc.stringMatching(/^(0|[1-9][0-9]{0,25})$/),
    fc.stringMatching(/^(\.[0-9]{1,33})?$/),
    fc.constantFrom('', 'e0', 'e-7', 'E+3', 'e30', 'e-38', 'e-45', 'e-46', 'e38', 'e39', 'e-330', 'e310'),
  )
  .map(([negative, int, frac, exp]) => `${negative ? '-' : ''}${int}${frac}${exp}`);

const anyText = fc.oneof(numberText, tieText, partsText);

describe('the WebAssembly reader of numeric JSON arrays', () => {
  it('gives the JS reader’s bits for random arrays of every kind of number text', () => {
    fc.assert(
      fc.property(
        fc.array(anyText, { minLength: 1, maxLength: 40 }),
        fc.array(separator, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom('FP32', 'FP64'),
        (texts, seps, cols, datatype) => {
          const b = body(arrayText(texts, cols, seps), datatype);
          const { wasm, js, text, jsText } = bothReaders(b);
          expect(js).toBeDefined();
          expect(wasm).toEqual(js);
          expect(text).toBe(jsText);
          // The WebAssembly reader itself took the array: the equality above is not the JS fallback.
          const read = wasmOnly(b);
          expect(read).toBeDefined();
          // The FP32 array becomes the request's tensor, whose buffer the batcher may pool whole.
          const float32 = read!.float32();
          expect([float32.byteOffset, float32.buffer.byteLength]).toEqual([0, texts.length * 4]);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('matches JSON.parse and Float32Array on texts at FP32 ties, one by one', () => {
    fc.assert(
      fc.property(fc.oneof(tieText, partsText), (text) => {
        const read = wasmOnly(body(`[${text}]`));
        expect(read).toBeDefined();
        const exact = Number(text);
        const unsettled = new Set(read!.unsettled.filter((_, k) => k % 3 === 0));
        // Settled values are exact FP32; unsettled ones are parsed from their text by the caller.
        if (!unsettled.has(0)) expect(Object.is(read!.float32()[0], Math.fround(exact))).toBe(true);
        if (read!.approximate === 0) expect(Object.is(read!.values()[0], exact)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts, refuses and ends corrupted arrays exactly as the JS reader', () => {
    const valid = '[[0.30000001192092896, -1.5e-7, 12345678901234567890, -0],[1e38, 7, 0.000123, 2.5E+3]]';
    fc.assert(
      fc.property(
        corruptionOf(valid, [
          '',
          '[',
          ']',
          ',',
          '-',
          '+',
          '.',
          'e',
          'E',
          '0',
          '7',
          ' ',
          '\t',
          'n',
          '}',
          '\u00e9',
        ]),
        (corrupted) => {
          const b = body(corrupted);
          expect(bothReaders(b).wasm).toEqual(bothReaders(b).js);
          const i = b.indexOf('[', b.indexOf('"data"'));
          const js = readNumericArray(new Uint8Array(b.buffer, b.byteOffset, b.length), b, i, b.length);
          const wasm = wasmOnly(b);
          const asArray = wasm && { ...wasm, values: wasm.values(), float32: wasm.float32(), source: b };
          expect(wasm && { end: wasm.end, ...decoded(asArray) }).toEqual(
            js && { end: js.end, ...decoded(js.array) },
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('refuses every malformed number, and the request gets the plain decoder’s 400', () => {
    const outcome = (b: Buffer, minBytes: number, wasm: boolean) => {
      try {
        decodeInferRequest(b, undefined, minBytes, wasm);
        return 'decoded';
      } catch (e) {
        if (!(e instanceof ServiceError)) throw e;
        return `${e.status} ${e.message}`;
      }
    };
    for (const bad of [
      '1.',
      '.5',
      '-',
      '01',
      '-01',
      '1e',
      '1e+',
      'NaN',
      '-Infinity',
      '1.5.2',
      '--1',
      '+1',
      '0x10',
      '1e5.5',
      '- 1',
      '1 2',
      '1.e5',
      '00.5',
      '1ee5',
    ]) {
      const b = Buffer.from(`{"inputs":[{"name":"x","datatype":"FP32","shape":[4],"data":[1,2,${bad},4]}]}`);
      expect({ bad, read: wasmOnly(b) }).toEqual({ bad, read: undefined });
      const plain = outcome(b, Infinity, true);
      expect(plain).toMatch(/^400 /);
      expect(outcome(b, 0, true)).toBe(plain);
      expect(outcome(b, 0, false)).toBe(plain);
    }
  });

  it('decodes texts beyond FP32 and FP64 as the plain decoder does', () => {
    for (const text of ['1e39', '-3.4028236e38', '1e-46', '-1e-50', '1e309', '-1e400', '4.9e-324']) {
      for (const datatype of ['FP32', 'FP64']) {
        const b = body(`[1,2,${text},4]`, datatype).toString().replace('"shape":[1]', '"shape":[4]');
        const decode = (minBytes: number, wasm: boolean) =>
          Buffer.from(
            (decodeInferRequest(Buffer.from(b), undefined, minBytes, wasm).inputs[0].data as ArrayBufferView)
              .buffer,
          );
        const plain = decode(Infinity, true);
        expect(decode(0, true)).toEqual(plain);
        expect(decode(0, false)).toEqual(plain);
      }
    }
  });

  it('leaves what it has no room for to the JS reader, with the same result', () => {
    // More FP32 ties than the reader keeps a record of.
    const ties = Array.from({ length: 300 }, (_, k) => float32Midpoint(0x3f800000 + k).toFixed(40));
    const tied = body(`[${ties.join(',')}]`);
    expect(wasmOnly(tied)).toBeUndefined();
    expect(bothReaders(tied).wasm).toEqual(bothReaders(tied).js);
    expect(bothReaders(tied).wasm?.dims).toEqual([300]);
    // Nesting deeper than the reader follows.
    const deep = body(`${'['.repeat(40)}1.5${']'.repeat(40)}`);
    expect(wasmOnly(deep)).toBeUndefined();
    expect(bothReaders(deep).wasm?.dims).toEqual(Array(40).fill(1));
    // A body larger than the reader takes.
    const values = Array.from({ length: WASM_MAX_JSON_BYTES / 10 }, (_, k) => Math.fround(k / 7 - 1e4));
    const large = body(JSON.stringify(values));
    expect(loadWasmBody(large)).toBe(false);
    const { wasm, js } = bothReaders(large);
    expect(wasm).toEqual(js);
    expect(
      Buffer.from(float32Values(extractNumericData(large, large.length)!.arrays.get(0)!).buffer),
    ).toEqual(Buffer.from(Float32Array.from(values).buffer));
  });

  it('keeps each array of a body apart, and refuses to hand out values once another body is loaded', () => {
    const two = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [3], data: [1.25, -2.5, 3e-3] },
          { name: 'b', datatype: 'FP64', shape: [6], data: [0.1, 12345.5, 2, 3, 4, 5] },
        ],
      }),
    );
    const extracted = extractNumericData(two, two.length)!;
    expect(Array.from(float32Values(extracted.arrays.get(0)!))).toEqual(
      Array.from(Float32Array.of(1.25, -2.5, 3e-3)),
    );
    expect(Array.from(float64Values(extracted.arrays.get(1)!)!)).toEqual([0.1, 12345.5, 2, 3, 4, 5]);
    const first = wasmOnly(two)!;
    loadWasmBody(two);
    expect(() => first.float32()).toThrow(/another body/);
  });

  it('reads each body afresh: a longer body before leaves nothing behind', () => {
    const long = body(`[${Array(500).fill('0.123456789').join(',')}]`);
    const short = body('[1.5,2.5]');
    loadWasmBody(long);
    readWasmArray(long.indexOf('[', long.indexOf('"data"')));
    // The short body ends where the long one had digits: they must read as its end.
    const cut = Buffer.from(short.toString().replace('2.5]', '2.5'));
    expect(wasmOnly(cut)).toBeUndefined();
    expect(Array.from(wasmOnly(short)!.float32())).toEqual([1.5, 2.5]);
  });
});
