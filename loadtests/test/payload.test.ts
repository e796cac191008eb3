import fc from 'fast-check';
import { DATATYPES, type Datatype } from '@ml-platform/contract/names';
import { InferenceRequestSchema } from '@ml-platform/contract/wire';
import {
  buildInferRequest,
  INFER_CHECKS,
  inferPath,
  MetadataError,
  parseModelMetadata,
  resolveShape,
} from '../src/payload';

/** Mulberry32: a seeded uniform source so payloads are reproducible in tests. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INT_LIMITS: Partial<Record<Datatype, [number, number]>> = {
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function valid(datatype: Datatype, v: unknown): boolean {
  const limits = INT_LIMITS[datatype];
  if (limits) return Number.isInteger(v) && (v as number) >= limits[0] && (v as number) <= limits[1];
  if (datatype === 'BOOL') return typeof v === 'boolean';
  if (datatype === 'BYTES') return typeof v === 'string' && v.length > 0;
  if (datatype === 'FP16') return typeof v === 'number' && Math.abs(v) <= 65504 && Number.isInteger(v * 1024);
  return typeof v === 'number' && Number.isFinite(v);
}

describe('payloads from OIP model metadata', () => {
  it('builds the bundled models` inputs: batch dimension resolved to 1, flat data of the right count', () => {
    const breastCancer = parseModelMetadata({
      name: 'breast-cancer',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 30] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
    });
    const req = buildInferRequest(breastCancer, { random: seeded(1) });
    expect(req.inputs).toHaveLength(1);
    expect(req.inputs[0]).toMatchObject({ name: 'input', datatype: 'FP32', shape: [1, 30] });
    expect(req.inputs[0].data).toHaveLength(30);

    const digits = parseModelMetadata({
      name: 'digits',
      inputs: [{ name: 'pixels', datatype: 'UINT8', shape: [64] }],
    });
    const d = buildInferRequest(digits, { random: seeded(2) }).inputs[0];
    expect(d.shape).toEqual([64]);
    expect(d.data.every((v) => valid('UINT8', v))).toBe(true);
  });

  it('uses batchSize for a variable leading dimension and 1 for other variable dimensions', () => {
    expect(resolveShape([-1, 3, -1], 4)).toEqual([4, 3, 1]);
    const req = buildInferRequest(
      { name: 'm', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 256] }] },
      { batchSize: 8, random: seeded(3) },
    );
    expect(req.inputs[0].shape).toEqual([8, 256]);
    expect(req.inputs[0].data).toHaveLength(8 * 256);
    expect(() => buildInferRequest({ name: 'm', inputs: [] }, { batchSize: 0 })).toThrow(
      'batchSize must be an integer >= 1, got 0',
    );
  });

  it('generates values valid for every OIP datatype and any shape', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DATATYPES),
        fc.array(
          fc.integer({ min: -1, max: 6 }).filter((d) => d !== 0),
          { maxLength: 3 },
        ),
        fc.integer(),
        (datatype, shape, seed) => {
          const req = buildInferRequest(
            { name: 'm', inputs: [{ name: 'x', datatype, shape }] },
            { random: seeded(seed) },
          );
          const input = req.inputs[0];
          expect(input.data).toHaveLength(input.shape.reduce((n, d) => n * d, 1));
          for (const v of input.data) expect(valid(datatype, v)).toBe(true);
          expect(InferenceRequestSchema.safeParse(req).error).toBeUndefined();
        },
      ),
    );
  });

  it('varies the data between requests so a prediction cache cannot serve them all', () => {
    const meta = { name: 'm', inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [-1, 30] }] };
    const random = seeded(7);
    const bodies = new Set(
      Array.from({ length: 50 }, () => JSON.stringify(buildInferRequest(meta, { random }))),
    );
    expect(bodies.size).toBe(50);
  });

  it('rejects malformed metadata with the field and what was expected', () => {
    expect(() => parseModelMetadata(null)).toThrow(MetadataError);
    expect(() => parseModelMetadata({ name: 'm', inputs: [] })).toThrow(
      'model metadata inputs: expected a non-empty array, got []',
    );
    expect(() =>
      parseModelMetadata({ name: 'm', inputs: [{ name: 'x', datatype: 'FLOAT', shape: [1] }] }),
    ).toThrow(/inputs\[0\]\.datatype: expected one of BOOL, .*FP32.*, got "FLOAT"/);
    expect(() =>
      parseModelMetadata({ name: 'm', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, -2] }] }),
    ).toThrow(
      'model metadata inputs[0].shape: expected an array of integers >= -1 (-1 = variable), got [1,-2]',
    );
  });
});

describe('response checks shared by k6 and the local runner', () => {
  it('accept an OIP response with outputs and reject errors and empty bodies', () => {
    const ok = JSON.stringify({
      model_name: 'm',
      outputs: [{ name: 'y', shape: [1, 2], datatype: 'FP32', data: [0.1, 0.9] }],
    });
    expect(INFER_CHECKS['status is 200'](200, ok)).toBe(true);
    expect(INFER_CHECKS['response has outputs'](200, ok)).toBe(true);
    expect(INFER_CHECKS['status is 200'](503, '{"error":"queue full"}')).toBe(false);
    expect(INFER_CHECKS['response has outputs'](503, '{"error":"queue full"}')).toBe(false);
    expect(INFER_CHECKS['response has outputs'](200, 'not json')).toBe(false);
    expect(INFER_CHECKS['response has outputs'](200, '{"outputs":[]}')).toBe(false);
  });

  it('builds infer paths with the model name escaped', () => {
    expect(inferPath('heavy-mlp')).toBe('/v2/models/heavy-mlp/infer');
    expect(inferPath('a b', '2')).toBe('/v2/models/a%20b/versions/2/infer');
  });
});
