import fc from 'fast-check';
import { ServiceError } from '../src/core/errors';
import type { InferResult } from '../src/core/engine';
import { DATATYPE_INFO } from '../src/core/datatypes';
import type { Datatype, TensorData } from '../src/core/tensor';
import { fromHalfBits, toHalfBits } from '../src/protocol/fp16';
import { decodeInferRequest } from '../src/protocol/infer-request';
import { encodeInferResponse } from '../src/protocol/infer-response';
import { tensorDataToJson, tensorDataToJsonText } from '../src/protocol/json-tensor';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

function expect400(fn: () => unknown, pattern: RegExp) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ServiceError);
  expect((err as ServiceError).status).toBe(400);
  expect((err as ServiceError).message).toMatch(pattern);
}

/** A client-side binary request: JSON header followed by each input's little-endian bytes. */
function binaryRequest(header: unknown, chunks: Buffer[]): [Buffer, number] {
  const h = json(header);
  return [Buffer.concat([h, ...chunks]), h.length];
}

/** Per datatype: an arbitrary JSON element and the value the decoded storage must hold. */
const elementArb: Record<Datatype, fc.Arbitrary<unknown>> = {
  BOOL: fc.boolean(),
  UINT8: fc.integer({ min: 0, max: 255 }),
  UINT16: fc.integer({ min: 0, max: 65535 }),
  UINT32: fc.integer({ min: 0, max: 4294967295 }),
  UINT64: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  INT8: fc.integer({ min: -128, max: 127 }),
  INT16: fc.integer({ min: -32768, max: 32767 }),
  INT32: fc.integer({ min: -2147483648, max: 2147483647 }),
  INT64: fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  FP16: fc.integer({ min: 0, max: 0x7bff }).map(fromHalfBits),
  FP32: fc.float({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
  FP64: fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
  BYTES: fc.string({ maxLength: 12 }),
};

const tensorArb = fc
  .constantFrom(...(Object.keys(elementArb) as Datatype[]))
  .chain((datatype) =>
    fc
      .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }))
      .chain(([rows, cols]) =>
        fc
          .array(elementArb[datatype], { minLength: rows * cols, maxLength: rows * cols })
          .map((data) => ({ datatype, shape: [rows, cols], data })),
      ),
  );

/** Storage as JSON values, via the response encoder: the round trip the service really performs. */
function echo(decoded: ReturnType<typeof decodeInferRequest>, binary = false) {
  const result: InferResult = { modelName: 'm', modelVersion: '1', outputs: decoded.inputs };
  const res = encodeInferResponse({ ...decoded, binaryOutputs: binary }, result);
  return res;
}

describe('decodeInferRequest (JSON)', () => {
  it('round-trips every datatype through decode and JSON encode', () => {
    fc.assert(
      fc.property(tensorArb, ({ datatype, shape, data }) => {
        const decoded = decodeInferRequest(json({ inputs: [{ name: 'x', datatype, shape, data }] }));
        expect(decoded.inputs[0].shape).toEqual(shape);
        const body = JSON.parse(echo(decoded).body.toString());
        expect(body.outputs[0].data).toEqual(data);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts nested data and reads it row-major, same as flat', () => {
    fc.assert(
      fc.property(tensorArb, ({ datatype, shape, data }) => {
        const nested = Array.from({ length: shape[0] }, (_, r) =>
          data.slice(r * shape[1], (r + 1) * shape[1]),
        );
        const flat = decodeInferRequest(json({ inputs: [{ name: 'x', datatype, shape, data }] }));
        const deep = decodeInferRequest(json({ inputs: [{ name: 'x', datatype, shape, data: nested }] }));
        expect(deep.inputs[0].data).toEqual(flat.inputs[0].data);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects an element count that does not match the shape, naming the input', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 12 }), (rows, n) => {
        fc.pre(n !== rows * 2);
        const body = json({
          inputs: [{ name: 'feat', datatype: 'FP32', shape: [rows, 2], data: new Array(n).fill(1) }],
        });
        expect400(
          () => decodeInferRequest(body),
          new RegExp(`input 'feat'.*needs ${rows * 2} elements, data has ${n}`),
        );
      }),
    );
  });

  it.each([
    ['INT8', 128, /data\[0\] must be an integer in \[-128, 127\] for INT8, got 128/],
    ['UINT8', -1, /must be an integer in \[0, 255\] for UINT8, got -1/],
    ['INT32', 1.5, /integer .* for INT32, got 1.5/],
    ['FP32', 'abc', /must be a number for FP32, got "abc"/],
    ['BOOL', 1, /must be true or false for BOOL, got 1/],
    ['BYTES', 7, /must be a string for BYTES, got 7/],
    ['INT64', 2 ** 60, /representable in JSON/],
    ['FP64', null, /must be a number for FP64, got null/],
  ])('rejects a %s value that does not fit (%p)', (datatype, value, pattern) => {
    const body = json({ inputs: [{ name: 'v', datatype, shape: [1], data: [value] }] });
    expect400(() => decodeInferRequest(body), pattern);
  });

  it.each([
    ['{"inputs": [', /not valid JSON/],
    ['[1,2]', /must be a JSON object/],
    ['{}', /inputs must be a non-empty array/],
    ['{"inputs": []}', /inputs must be a non-empty array/],
    ['{"id": 5, "inputs": [{}]}', /id must be a string/],
    ['{"inputs": [{"shape": [1], "datatype": "FP32", "data": [1]}]}', /inputs\[0\]\.name/],
    [
      '{"inputs": [{"name": "a", "shape": [-1], "datatype": "FP32", "data": [1]}]}',
      /input 'a': shape must be/,
    ],
    [
      '{"inputs": [{"name": "a", "shape": [1], "datatype": "FLOAT", "data": [1]}]}',
      /input 'a': datatype must be one of.*"FLOAT"/,
    ],
    ['{"inputs": [{"name": "a", "shape": [1], "datatype": "FP32"}]}', /input 'a': data must be an array/],
    [
      '{"inputs": [{"name": "a", "shape": [1], "datatype": "FP32", "data": [1]}, {"name": "a", "shape": [1], "datatype": "FP32", "data": [1]}]}',
      /input 'a' appears more than once/,
    ],
    // A duplicate that is not the previous input, among few inputs (a scan) and many (a Set).
    ...[3, 12].map((count): [string, RegExp] => [
      JSON.stringify({
        inputs: Array.from({ length: count }, (_, i) => ({
          name: i === count - 1 ? 'in1' : `in${i}`,
          shape: [1],
          datatype: 'FP32',
          data: [1],
        })),
      }),
      /input 'in1' appears more than once/,
    ]),
    [
      '{"inputs": [{"name": "a", "shape": [1], "datatype": "FP32", "data": [1]}], "outputs": [{}]}',
      /outputs\[0\]\.name/,
    ],
    [
      '{"inputs": [{"name": "a", "shape": [1], "datatype": "FP32", "data": [1]}], "parameters": {"timeout": -3}}',
      /timeout/,
    ],
    [
      '{"inputs": [{"name": "a", "shape": [1], "datatype": "FP32", "data": [1]}], "parameters": {"x": {}}}',
      /parameters\.x/,
    ],
  ])('rejects %s', (text, pattern) => {
    expect400(() => decodeInferRequest(Buffer.from(text)), pattern);
  });

  it('reads id, parameters, requested outputs and the timeout', () => {
    const d = decodeInferRequest(
      json({
        id: 'req-1',
        parameters: { timeout: 250_000, binary_data_output: true, cache: false },
        inputs: [{ name: 'a', datatype: 'FP32', shape: [1], data: [1] }],
        outputs: [{ name: 'y' }, { name: 'z', parameters: { binary_data: false } }],
      }),
    );
    expect(d.id).toBe('req-1');
    expect(d.timeoutMs).toBe(250);
    expect(d.parameters.cache).toBe(false);
    expect(d.outputs).toEqual([
      { name: 'y', binary: true },
      { name: 'z', binary: false },
    ]);
  });
});

describe('binary tensor data extension', () => {
  it('decodes little-endian input bytes at the offsets the header declares', () => {
    const f = Buffer.from([0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x20, 0xc0]); // 1.5, -2.5
    const s = Buffer.concat([Buffer.from([2, 0, 0, 0]), Buffer.from('hi'), Buffer.from([0, 0, 0, 0])]);
    const [body, len] = binaryRequest(
      {
        inputs: [
          { name: 'f', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } },
          { name: 'j', datatype: 'INT32', shape: [1], data: [7] },
          { name: 's', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: s.length } },
        ],
      },
      [f, s],
    );
    const d = decodeInferRequest(body, len);
    expect(Array.from(d.inputs[0].data as Float32Array)).toEqual([1.5, -2.5]);
    expect(Array.from(d.inputs[1].data as Int32Array)).toEqual([7]);
    expect((d.inputs[2].data as Buffer[]).map(String)).toEqual(['hi', '']);
  });

  it('round-trips every datatype through binary input and binary output', () => {
    fc.assert(
      fc.property(tensorArb, ({ datatype, shape, data }) => {
        const viaJson = decodeInferRequest(json({ inputs: [{ name: 'x', datatype, shape, data }] }));
        const out = echo(viaJson, true);
        if (out.contentType !== 'application/octet-stream') throw new Error(`got ${out.contentType}`);
        const header = JSON.parse(out.body.toString('utf8', 0, out.headerLength));
        const size = header.outputs[0].parameters.binary_data_size;
        expect(out.body.length).toBe(out.headerLength + size);
        const [body, len] = binaryRequest(
          { inputs: [{ name: 'x', datatype, shape, parameters: { binary_data_size: size } }] },
          [out.body.subarray(out.headerLength)],
        );
        expect(decodeInferRequest(body, len).inputs[0].data).toEqual(viaJson.inputs[0].data);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    [
      'a size that does not match the shape',
      { binary_data_size: 4 },
      Buffer.alloc(4),
      /binary_data_size is 4 bytes, expected 8/,
    ],
    ['a size past the body', { binary_data_size: 16 }, Buffer.alloc(8), /runs past the end of the body/],
  ])('rejects %s', (_what, parameters, bytes, pattern) => {
    const [body, len] = binaryRequest({ inputs: [{ name: 'f', datatype: 'FP32', shape: [2], parameters }] }, [
      bytes,
    ]);
    expect400(() => decodeInferRequest(body, len), pattern);
  });

  it('rejects unclaimed trailing bytes, data plus binary, bad BOOL bytes and a bad header length', () => {
    const [body, len] = binaryRequest({ inputs: [{ name: 'a', datatype: 'FP32', shape: [1], data: [1] }] }, [
      Buffer.alloc(3),
    ]);
    expect400(() => decodeInferRequest(body, len), /3 bytes after the JSON header/);
    const [b2, l2] = binaryRequest(
      {
        inputs: [{ name: 'a', datatype: 'FP32', shape: [1], data: [1], parameters: { binary_data_size: 4 } }],
      },
      [Buffer.alloc(4)],
    );
    expect400(() => decodeInferRequest(b2, l2), /both data and binary_data_size/);
    const [b3, l3] = binaryRequest(
      { inputs: [{ name: 'b', datatype: 'BOOL', shape: [2], parameters: { binary_data_size: 2 } }] },
      [Buffer.from([1, 2])],
    );
    expect400(() => decodeInferRequest(b3, l3), /BOOL element 1 is byte 2/);
    expect400(() => decodeInferRequest(b3, b3.length + 1), /Inference-Header-Content-Length/);
    const [b4, l4] = binaryRequest(
      { inputs: [{ name: 's', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 6 } }] },
      [Buffer.from([9, 0, 0, 0, 65, 66])],
    );
    expect400(() => decodeInferRequest(b4, l4), /declares 9 bytes but only 2 remain/);
  });
});

describe('encodeInferResponse', () => {
  const result: InferResult = {
    modelName: 'bc',
    modelVersion: '2',
    outputs: [
      { name: 'label', datatype: 'INT64', shape: [2], data: BigInt64Array.from([1n, 0n]) },
      { name: 'probabilities', datatype: 'FP32', shape: [2, 2], data: Float32Array.from([0.25, 0.75, 1, 0]) },
    ],
  };
  const base = decodeInferRequest(
    json({ id: 'abc', inputs: [{ name: 'a', datatype: 'FP32', shape: [1], data: [1] }] }),
  );

  it('echoes id and returns every output as flat JSON when none are requested', () => {
    const res = encodeInferResponse(base, result);
    expect(res.contentType).toBe('application/json');
    expect(res.length).toBe(Buffer.byteLength(res.body));
    expect(JSON.parse(res.body.toString())).toEqual({
      model_name: 'bc',
      model_version: '2',
      id: 'abc',
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [2], data: [1, 0] },
        { name: 'probabilities', datatype: 'FP32', shape: [2, 2], data: [0.25, 0.75, 1, 0] },
      ],
    });
  });

  it('returns only the requested outputs, mixing binary and JSON', () => {
    const res = encodeInferResponse(
      { ...base, id: undefined, outputs: [{ name: 'probabilities', binary: true }] },
      result,
    );
    if (res.contentType !== 'application/octet-stream') throw new Error(`got ${res.contentType}`);
    expect(res.length).toBe(res.body.length);
    const header = JSON.parse(res.body.toString('utf8', 0, res.headerLength));
    expect(header.id).toBeUndefined();
    expect(header.outputs).toEqual([
      { name: 'probabilities', datatype: 'FP32', shape: [2, 2], parameters: { binary_data_size: 16 } },
    ]);
    const tail = res.body.subarray(res.headerLength);
    expect([0, 1, 2, 3].map((i) => tail.readFloatLE(i * 4))).toEqual([0.25, 0.75, 1, 0]);
  });

  it('gives a JSON body its length in UTF-8 bytes, not in characters', () => {
    const res = encodeInferResponse({ ...base, id: 'größe-✓' }, result);
    expect(res.length).toBe(Buffer.from(res.body).length);
    expect(res.length).toBeGreaterThan(res.body.length);
  });

  it('rejects an unknown requested output, listing the real ones', () => {
    expect400(
      () => encodeInferResponse({ ...base, outputs: [{ name: 'nope', binary: false }] }, result),
      /unknown requested output 'nope'; model 'bc' has outputs: label, probabilities/,
    );
  });
});

describe('response JSON written as text', () => {
  /** Any storage of a datatype: every bit pattern (NaN, infinities, -0, subnormal halves) or string. */
  const storageArb: fc.Arbitrary<{ datatype: Datatype; data: TensorData }> = fc
    .constantFrom(...(Object.keys(DATATYPE_INFO) as Datatype[]))
    .chain((datatype) => {
      const info = DATATYPE_INFO[datatype];
      if (!info.array)
        return fc
          .array(fc.string({ unit: 'binary', maxLength: 6 }), { maxLength: 5 })
          .map((strings) => ({ datatype, data: strings.map((v) => Buffer.from(v)) as TensorData }));
      const Storage = info.array;
      return fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 * info.byteSize }).map((bytes) => {
        const whole = bytes.slice(0, bytes.length - (bytes.length % info.byteSize));
        return { datatype, data: new Storage(Uint8Array.from(whole).buffer) as TensorData };
      });
    });

  it('writes tensor data in the bytes JSON.stringify gives for its JSON values', () => {
    fc.assert(
      fc.property(storageArb, ({ datatype, data }) => {
        expect(tensorDataToJsonText(datatype, data)).toBe(JSON.stringify(tensorDataToJson(datatype, data)));
      }),
      { numRuns: 1000 },
    );
    // Large tensors, which take JSON.stringify's path, and a length on each side of its threshold.
    for (const n of [2048, 2049, 10000]) {
      const data = Float32Array.from({ length: n }, (_, i) => (i % 7 === 3 ? NaN : Math.sin(i) * 1e3));
      expect(tensorDataToJsonText('FP32', data)).toBe(JSON.stringify(tensorDataToJson('FP32', data)));
    }
  });

  it('writes a whole response in the bytes JSON.stringify gives for the same object', () => {
    const outputs = [
      { name: 'label', datatype: 'INT64' as const, shape: [2], data: BigInt64Array.from([1n, -7n]) },
      {
        name: 'p "q"\n',
        datatype: 'FP32' as const,
        shape: [2, 2],
        data: Float32Array.from([0.1, NaN, -0, 1e-7]),
      },
      { name: 'scalar', datatype: 'FP64' as const, shape: [], data: Float64Array.from([Infinity]) },
    ];
    const decoded = decodeInferRequest(
      json({ id: 'größe "✓"', inputs: [{ name: 'a', datatype: 'FP32', shape: [1], data: [1] }] }),
    );
    const res = encodeInferResponse(decoded, { modelName: 'm\u0001', modelVersion: '3', outputs }, { n: 1 });
    expect(res.body).toBe(
      JSON.stringify({
        model_name: 'm\u0001',
        model_version: '3',
        id: 'größe "✓"',
        parameters: { n: 1 },
        outputs: outputs.map((t) => ({
          name: t.name,
          datatype: t.datatype,
          shape: t.shape,
          data: tensorDataToJson(t.datatype, t.data),
        })),
      }),
    );
    const binary = encodeInferResponse(
      {
        ...decoded,
        id: undefined,
        outputs: [
          { name: 'scalar', binary: true },
          { name: 'label', binary: false },
        ],
      },
      { modelName: 'm', modelVersion: '3', outputs },
    );
    if (binary.contentType !== 'application/octet-stream') throw new Error(`got ${binary.contentType}`);
    expect(binary.body.toString('utf8', 0, binary.headerLength)).toBe(
      JSON.stringify({
        model_name: 'm',
        model_version: '3',
        outputs: [
          { name: 'scalar', datatype: 'FP64', shape: [], parameters: { binary_data_size: 8 } },
          { name: 'label', datatype: 'INT64', shape: [2], data: [1, -7] },
        ],
      }),
    );
  });
});

describe('fp16', () => {
  it('is exact on every finite half value and rounds floats to the nearest half', () => {
    const mismatches: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const v = fromHalfBits(bits);
      const ok = Number.isNaN(v) ? Number.isNaN(fromHalfBits(toHalfBits(v))) : toHalfBits(v) === bits;
      if (!ok) mismatches.push(bits);
    }
    expect(mismatches).toEqual([]);
    fc.assert(
      fc.property(fc.float({ min: -60000, max: 60000, noNaN: true }), (x) => {
        const h = fromHalfBits(toHalfBits(x));
        const ulp = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(x), 2 ** -14))) - 10);
        expect(Math.abs(h - x)).toBeLessThanOrEqual(ulp / 2);
      }),
    );
    expect(toHalfBits(70000)).toBe(0x7c00);
  });
});

describe('nested data against the shape', () => {
  const decode = (shape: number[], data: unknown) =>
    decodeInferRequest(json({ inputs: [{ name: 'feat', datatype: 'FP32', shape, data }] }));

  it('answers nesting far deeper than any shape with a 400, not a stack overflow', () => {
    // Written out by hand: JSON.stringify itself recurses.
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    const body = `{"inputs":[{"name":"feat","datatype":"FP32","shape":[1,1],"data":${deep}}]}`;
    expect400(
      () => decodeInferRequest(Buffer.from(body)),
      /input 'feat'.*shape \[1,1\]: data\[0\]\[0\] is an array/,
    );
  });

  it('rejects nesting whose structure does not match the shape, naming the input and position', () => {
    const row = new Array(15).fill(1);
    expect400(() => decode([1, 30], [row, row]), /input 'feat'.*data has 2 entries.*shape \[1,30\] needs 1/);
    expect400(
      () => decode([2, 15], [row, [...row, 1]]),
      /input 'feat'.*data\[1\] has 16 entries.*shape \[2,15\] needs 15/,
    );
    expect400(() => decode([2, 2], [[1, 2], 3, 4]), /input 'feat'.*data has 3 entries/);
    expect400(() => decode([1, 2], [[1, [2]]]), /input 'feat'.*data\[0\]\[1\] is an array/);
    expect400(() => decode([2, 2], [[1, 2], 3]), /input 'feat'.*data\[1\] must be an array of 2/);
  });

  it('accepts nesting that matches the shape at every level', () => {
    const t = decode(
      [2, 2, 2],
      [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ],
    );
    expect([...(t.inputs[0].data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('request, input and output parameters', () => {
  const input = (parameters?: unknown) => ({
    name: 'x',
    datatype: 'FP32',
    shape: [1],
    data: [1],
    ...(parameters !== undefined && { parameters }),
  });

  it('names whose parameters are wrong, the request’s, an input’s or an output’s', () => {
    expect400(
      () => decodeInferRequest(json({ parameters: { a: [] }, inputs: [input()] })),
      /^parameters\.a must be a string, number or boolean$/,
    );
    expect400(
      () => decodeInferRequest(json({ inputs: [input({ scale: { x: 1 } })] })),
      /^input 'x' parameters\.scale must be a string, number or boolean$/,
    );
    expect400(
      () => decodeInferRequest(json({ inputs: [input(3)] })),
      /^input 'x' parameters must be an object of string, number or boolean values$/,
    );
    expect400(
      () => decodeInferRequest(json({ inputs: [input()], outputs: [{ name: 'y', parameters: 'no' }] })),
      /^output 'y' parameters must be an object/,
    );
  });

  it('reads absent parameters as empty, and keeps given ones', () => {
    const decoded = decodeInferRequest(json({ inputs: [input()] }));
    expect(decoded.parameters).toEqual({});
    const given = decodeInferRequest(json({ parameters: { cache: false, tag: 'a' }, inputs: [input()] }));
    expect(given.parameters).toEqual({ cache: false, tag: 'a' });
  });
});
