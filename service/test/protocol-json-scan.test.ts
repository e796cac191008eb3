import fc from 'fast-check';
import { ServiceError } from '../src/core/errors';
import type { Datatype } from '../src/core/tensor';
import { decodeInferRequest } from '../src/protocol/infer-request';
import { extractNumericData, leadingDigits, leadingValue } from '../src/protocol/json-numeric-data';
import { corruptionOf, float32Midpoint, numberText } from './json-number-support';

/** The outcome of one decode: the decoded request, or the error's status and message. */
function outcome(body: Buffer | Buffer[], numericScanMinBytes: number, headerLength?: number): unknown {
  try {
    const d = decodeInferRequest(body, headerLength, numericScanMinBytes);
    // Typed arrays element by element with Object.is, so -0 and 0 differ.
    return {
      ...d,
      inputs: d.inputs.map((t) => ({ ...t, data: Array.from(t.data as ArrayLike<unknown>, String) })),
      kinds: d.inputs.map((t) => t.data.constructor.name),
      signs: d.inputs.map((t) => Array.from(t.data as ArrayLike<unknown>, (v) => Object.is(v, -0))),
    };
  } catch (e) {
    if (!(e instanceof ServiceError)) throw e;
    return { status: e.status, message: e.message };
  }
}

/** Decoded with the numeric scan forced on, and the plain way. */
const both = (body: Buffer, headerLength?: number) => ({
  scanned: outcome(body, 0, headerLength),
  plain: outcome(body, Infinity, headerLength),
});

const request = (data: unknown, shape: number[], datatype = 'FP32', extra: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype, shape, data, ...extra }] }));

describe('the numeric-array scan of JSON requests', () => {
  it('decodes exactly the tensors the plain decoder does, flat and nested, for every datatype', () => {
    const datatypes: Datatype[] = ['FP32', 'FP64', 'FP16', 'INT32', 'INT64', 'UINT8', 'BOOL', 'BYTES'];
    fc.assert(
      fc.property(
        fc.constantFrom(...datatypes),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.array(numberText, { minLength: 24, maxLength: 24 }),
        fc.constantFrom('', ' ', '\n  '),
        (datatype, rows, cols, nested, texts, ws) => {
          const cells = texts.slice(0, rows * cols);
          while (cells.length < rows * cols) cells.push('1');
          const row = (r: number) => `[${ws}${cells.slice(r * cols, (r + 1) * cols).join(`,${ws}`)}${ws}]`;
          const data = nested
            ? `[${Array.from({ length: rows }, (_, r) => row(r)).join(',')}]`
            : `[${cells.join(`${ws},`)}]`;
          const body = Buffer.from(
            `{"inputs":[{"name":"x","datatype":"${datatype}","shape":[${rows},${cols}],"data":${ws}${data}}]}`,
          );
          const { scanned, plain } = both(body);
          expect(scanned).toEqual(plain);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('rounds long texts at an FP32 tie as JSON.parse and Float32Array do', () => {
    // The midpoint of two neighbouring floats, written out in full and nudged either way: a mantissa
    // cut short lands on the wrong side of the tie.
    fc.assert(
      fc.property(
        fc.integer({ min: 0x3f000000, max: 0x447a0000 }),
        fc.constantFrom('', '0000000001', '9999'),
        (bits, tail) => {
          const text = float32Midpoint(bits).toFixed(60).replace(/0+$/, '') + tail;
          const { scanned, plain } = both(
            Buffer.from(`{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[${text}]}]}`),
          );
          expect(scanned).toEqual(plain);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rounds texts of 16 to 18 significant digits near an FP32 tie as JSON.parse and Float32Array do', () => {
    // The scan keeps 16 digits and settles the rest with an error bound: texts just either side of a
    // midpoint, at the lengths clients print, are where a wrong bound would show.
    fc.assert(
      fc.property(
        fc.integer({ min: 0x00800000, max: 0x7f000000 }),
        fc.integer({ min: 16, max: 18 }),
        fc.constantFrom(-2, -1, 0, 1, 2),
        fc.boolean(),
        (bits, digits, nudge, negative) => {
          const mid = float32Midpoint(bits);
          const text =
            (negative ? '-' : '') +
            mid
              .toPrecision(digits)
              .replace(/\d(?=e|$)/, (d) => String(Math.min(9, Math.max(0, Number(d) + nudge))));
          for (const datatype of ['FP32', 'FP64']) {
            const body = Buffer.from(
              `{"inputs":[{"name":"x","datatype":"${datatype}","shape":[2],"data":[${text},${text}]}]}`,
            );
            const { scanned, plain } = both(body);
            expect(scanned).toEqual(plain);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('decodes integer and fraction parts of every length as JSON.parse does', () => {
    const digits = (minLength: number, maxLength: number) =>
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength, maxLength }).map((d) => d.join(''));
    const part = digits(0, 26);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), digits(1, 22), part, fc.constantFrom('', 'e-7', 'E+3', 'e30')), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.constantFrom('FP32', 'FP64', 'INT64'),
        (numbers, datatype) => {
          const texts = numbers.map(
            ([negative, int, frac, exp]) =>
              `${negative ? '-' : ''}${int.replace(/^0+(?=.)/, '')}${frac ? `.${frac}` : ''}${exp}`,
          );
          const body = Buffer.from(
            `{"inputs":[{"name":"x","datatype":"${datatype}","shape":[${texts.length}],"data":[${texts.join(',')}]}]}`,
          );
          const { scanned, plain } = both(body);
          expect(scanned).toEqual(plain);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('reads four bytes at a time exactly as one at a time', () => {
    const reference = (bytes: number[]) => {
      let n = 0;
      while (n < bytes.length && bytes[n] >= 0x30 && bytes[n] <= 0x39) n++;
      return n;
    };
    const valueOf = (bytes: number[], n: number) => bytes.slice(0, n).reduce((v, c) => v * 10 + c - 0x30, 0);
    const wrong: string[] = [];
    const check = (w: number) => {
      const bytes = [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24];
      const n = reference(bytes);
      if (leadingDigits(w) !== n)
        wrong.push(`leadingDigits(${w.toString(16)}) = ${leadingDigits(w)}, not ${n}`);
      for (let k = 0; k <= n; k++) {
        if (leadingValue(w, k) !== valueOf(bytes, k)) wrong.push(`leadingValue(${w.toString(16)}, ${k})`);
      }
    };
    // Every word over the bytes around a number's end (digits, its neighbours in ASCII, separators,
    // and the bytes whose +6 carries), then random words.
    const alphabet = [
      0x00, 0x20, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x35, 0x39, 0x3a, 0x3f, 0x45, 0x5d, 0x65, 0x7f, 0x80,
      0xb0, 0xfa, 0xff,
    ];
    for (const a of alphabet)
      for (const b of alphabet)
        for (const c of alphabet)
          for (const d of alphabet) check((a | (b << 8) | (c << 16) | (d << 24)) >>> 0);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (w) => check(w)),
      { numRuns: 20_000 },
    );
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('takes the fast path on the bodies clients send, and leaves everything it does not follow', () => {
    const flat = request([1, 2.5, -3e-7, 0.30000001192092896], [1, 4]);
    expect(extractNumericData(flat, flat.length)?.arrays.get(0)?.dims).toEqual([4]);
    const nested = request(
      [
        [1, 2],
        [3, 4],
      ],
      [2, 2],
    );
    expect(extractNumericData(nested, nested.length)?.arrays.get(0)?.dims).toEqual([2, 2]);
    const second = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 's', datatype: 'BYTES', shape: [1], data: ['a'] },
          { name: 'x', datatype: 'FP32', shape: [2], data: [1, 2] },
        ],
      }),
    );
    expect([...extractNumericData(second, second.length)!.arrays.keys()]).toEqual([1]);
    for (const text of [
      '{"inputs":[{"name":"x","d\\u0061ta":[1],"data":[2]}]}',
      '{"inputs":[{"name":"x","data":[1],"data":[2]}]}',
      '{"inputs":[],"inputs":[{"name":"x","data":[1]}]}',
      '{"inputs":[{"name":"x","data":["1"]}]}',
      '{"inputs":[{"name":"x","data":[[1,2],[3]]}]}',
      '{"inputs":[{"name":"x","data":[]}]}',
      '{"parameters":{"data":[1]},"other":[{"data":[1]}]}',
    ]) {
      expect(extractNumericData(Buffer.from(text), text.length)).toBeUndefined();
    }
  });

  it('gives the same 400 as the plain decoder on every malformed tensor', () => {
    const bad: Buffer[] = [
      request([1, 'NaN', 3, 4], [1, 4]),
      request([1, null, 3, 4], [1, 4]),
      request([1, 2, 3], [1, 4]),
      request([1, 2, 3, 4, 5], [1, 4]),
      request([[1, 2], [3]], [2, 2]),
      request([[1, 2, 3, 4]], [2, 2]),
      request([[[1, 2]], [[3, 4]]], [2, 2]),
      request([1.5, 2, 3, 4], [1, 4], 'INT32'),
      request([1, 2, 3, 4], [1, 4], 'BOOL'),
      request([1, 2, 3, 4], [1, 4], 'BYTES'),
      request([300, 2, 3, 4], [1, 4], 'UINT8'),
      request([2 ** 60, 2, 3, 4], [1, 4], 'INT64'),
      request([1, 2, 3, 4], [1, 4], 'FP32', { parameters: { binary_data_size: 16 } }),
      request([1, 2, 3, 4], [-1, 4]),
      request([1, 2, 3, 4], [1, 4], 'FLOAT'),
      Buffer.from('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,NaN,4]}]}'),
      Buffer.from('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,Infinity,4]}]}'),
      Buffer.from('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,-Infinity,4]}]}'),
      Buffer.from('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}'),
      Buffer.from('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[01,2,3,4]}]}'),
      Buffer.from('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1.,2,3,4]}]}'),
      Buffer.from('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4,]}]}'),
      Buffer.from('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]},]}'),
      Buffer.from('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data" [1,2,3,4]}]}'),
      Buffer.from('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]} x'),
      Buffer.from('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]},{"name":"x"}]}'),
    ];
    for (const body of bad) {
      const { scanned, plain } = both(body);
      expect(plain).toHaveProperty('status', 400);
      expect(scanned).toEqual(plain);
    }
  });

  it('agrees with the plain decoder on any corruption of a valid body', () => {
    const valid = request(
      Array.from({ length: 3 }, (_, r) => Array.from({ length: 4 }, (_, c) => (r * 4 + c) / 7 - 0.5)),
      [3, 4],
    ).toString('latin1');
    fc.assert(
      fc.property(
        corruptionOf(valid, ['', '[', ']', '{', '}', ',', ':', '"', '\\', '-', '.', 'e', '0', '7', ' ', 'n']),
        (corrupted) => {
          const body = Buffer.from(corrupted, 'latin1');
          const { scanned, plain } = both(body);
          expect(scanned).toEqual(plain);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('stops at the JSON header of a binary request and leaves the binary section alone', () => {
    const header = Buffer.from(
      '{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":[1,2]},' +
        '{"name":"y","datatype":"FP32","shape":[1],"parameters":{"binary_data_size":4}}]}',
    );
    const binary = Buffer.alloc(4);
    binary.writeFloatLE(3.5);
    const { scanned, plain } = both(Buffer.concat([header, binary]), header.length);
    expect(scanned).toEqual(plain);
    expect(plain).toHaveProperty('inputs.1.data', ['3.5']);
    // A header cut inside an array must not borrow digits from the binary section.
    const cut = Buffer.from('{"inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":[1,2');
    const { scanned: s2, plain: p2 } = both(Buffer.concat([cut, Buffer.from(']}]}')]), cut.length);
    expect(s2).toEqual(p2);
    expect(p2).toHaveProperty('status', 400);
    // Nor inside a long fraction, where the scan reads four bytes at a time.
    for (let at = 1; at <= 20; at++) {
      const text = '{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[0.12345678901234567890123';
      const header = Buffer.from(text.slice(0, text.length - 21 + at));
      const { scanned: s3, plain: p3 } = both(
        Buffer.concat([header, Buffer.from('4567890123]}]}')]),
        header.length,
      );
      expect(s3).toEqual(p3);
      expect(p3).toHaveProperty('status', 400);
    }
  });
});

describe('a body decoded from the chunks it arrived in (joined in WebAssembly memory)', () => {
  /** `body` cut at `cuts` (positions, any order), each piece a buffer of its own. */
  const chunksOf = (body: Buffer, cuts: number[]) => {
    const at = [0, ...cuts.map((c) => c % (body.length + 1)).sort((a, b) => a - b), body.length];
    return at.slice(1).map((end, k) => Buffer.from(body.subarray(at[k], end)));
  };
  const rows = (n: number, cols: number, seed: number) =>
    Array.from({ length: n }, (_, r) =>
      Array.from({ length: cols }, (_, c) => Math.fround((r * cols + c) / seed - 1)),
    );
  const long = request(rows(32, 256, 7), [32, 256]);

  it('decodes every body, valid or not, exactly as the plain decoder does with the body joined', () => {
    const valid = request(rows(4, 8, 3), [4, 8]).toString('latin1');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constant(valid),
          corruptionOf(valid, [
            '',
            '[',
            ']',
            '{',
            '}',
            ',',
            ':',
            '"',
            '\\',
            '-',
            '.',
            'e',
            '0',
            '7',
            ' ',
            'n',
          ]),
        ),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.constantFrom('FP32', 'FP64', 'INT32'),
        (text, cuts, datatype) => {
          const body = Buffer.from(text.replace('"FP32"', `"${datatype}"`), 'latin1');
          // A longer body before, in the same memory: none of its bytes may show through.
          outcome(chunksOf(long, [1000, 90000]), 0);
          expect(outcome(chunksOf(body, cuts), 0)).toEqual(outcome(body, Infinity));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('never reads past the end of a shorter body into the longer one before it', () => {
    const values = new Float32Array(rows(32, 256, 7).flat());
    for (const cut of [10, 1000, 50_000]) {
      outcome(chunksOf(long, [65536, 131072]), 0);
      // The longer body's own bytes, cut short: valid JSON only if its tail were still read.
      const short = long.subarray(0, long.length - cut);
      const joined = outcome(short, Infinity);
      expect(joined).toHaveProperty('status', 400);
      expect(outcome(chunksOf(short, [4096, 70000]), 0)).toEqual(joined);
    }
    // And the longer body after the shorter ones, whole again.
    const decoded = decodeInferRequest(chunksOf(long, [3, 65536]));
    expect(Buffer.from((decoded.inputs[0].data as Float32Array).buffer)).toEqual(Buffer.from(values.buffer));
  });

  it('joins the chunks itself where WebAssembly does not read: a binary request, a small body', () => {
    const header = Buffer.from(
      '{"inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":[1.5,2.5]},' +
        '{"name":"y","datatype":"FP32","shape":[1],"parameters":{"binary_data_size":4}}]}',
    );
    const binary = Buffer.alloc(4);
    binary.writeFloatLE(3.5);
    const body = Buffer.concat([header, binary]);
    for (const cuts of [[5], [header.length - 1, header.length + 2]]) {
      expect(outcome(chunksOf(body, cuts), 0, header.length)).toEqual(outcome(body, Infinity, header.length));
      expect(outcome(chunksOf(header, cuts), Infinity)).toEqual(outcome(header, Infinity));
    }
    expect(outcome(chunksOf(body, [20]), 0, header.length)).toHaveProperty('inputs.1.data', ['3.5']);
  });
});
