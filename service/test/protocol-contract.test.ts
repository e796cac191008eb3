import fc from 'fast-check';
import { DATATYPES } from '@ml-platform/contract/names';
import { InferenceRequestSchema } from '@ml-platform/contract/wire';
import { decodeInferRequest } from '../src/protocol/infer-request';

/**
 * The hot path decodes requests by hand, for speed; the zod schemas are the documented contract.
 * These properties keep the two in step: the decoder never accepts what the documented schema
 * rejects, and a well-formed request is accepted by both.
 */

/** A well-formed request: any datatype, flat or nested data, optional id, parameters and outputs. */
const validArb = fc
  .record({
    datatype: fc.constantFrom(...DATATYPES),
    rows: fc.integer({ min: 1, max: 3 }),
    cols: fc.integer({ min: 1, max: 3 }),
    nested: fc.boolean(),
    id: fc.option(fc.string({ maxLength: 4 }), { nil: undefined }),
    timeout: fc.option(fc.double({ min: 1, max: 1e6, noNaN: true }), { nil: undefined }),
    outputs: fc.option(fc.array(fc.constantFrom('y', 'z'), { maxLength: 2 }), { nil: undefined }),
  })
  .map(({ datatype, rows, cols, nested, id, timeout, outputs }) => {
    const value = datatype === 'BOOL' ? true : datatype === 'BYTES' ? 'ab' : 1;
    const row = Array<unknown>(cols).fill(value);
    const data = nested ? Array.from({ length: rows }, () => [...row]) : Array(rows * cols).fill(value);
    return {
      ...(id !== undefined && { id }),
      ...(timeout !== undefined && { parameters: { timeout } }),
      inputs: [{ name: 'x', shape: [rows, cols], datatype, data }],
      ...(outputs && { outputs: [...new Set(outputs)].map((name) => ({ name })) }),
    } as Record<string, unknown>;
  });

/** Where a client may get a request wrong. */
const PATHS: (string | number)[][] = [
  ['id'],
  ['parameters'],
  ['parameters', 'timeout'],
  ['parameters', 'binary_data_output'],
  // Not `parameters.cache`: the resilience guard checks it, and only for a model whose cache is on.
  ['parameters', 'other'],
  ['inputs'],
  ['inputs', 0],
  ['inputs', 0, 'name'],
  ['inputs', 0, 'shape'],
  ['inputs', 0, 'shape', 0],
  ['inputs', 0, 'datatype'],
  ['inputs', 0, 'parameters'],
  ['inputs', 0, 'parameters', 'binary_data_size'],
  ['inputs', 0, 'data'],
  ['inputs', 0, 'data', 0],
  ['outputs'],
  ['outputs', 0],
  ['outputs', 0, 'name'],
  ['outputs', 0, 'parameters'],
  ['outputs', 0, 'parameters', 'binary_data'],
];
const valueArb = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -2, max: 2 }),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 3 }),
  fc.constantFrom('FP32', 'fp32', ''),
  fc.constant({}),
  fc.constant([]),
  fc.constant([1]),
);

/** Sets (or with undefined, deletes) the value at `path`, creating objects on the way. */
function mutate(body: Record<string, unknown>, path: (string | number)[], value: unknown) {
  const copy = structuredClone(body);
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

const requestArb = fc
  .tuple(validArb, fc.array(fc.tuple(fc.constantFrom(...PATHS), valueArb), { maxLength: 2 }))
  .map(([body, edits]) => edits.reduce((b, [path, value]) => mutate(b, path, value), body));

const decodes = (body: unknown) => {
  try {
    decodeInferRequest(Buffer.from(JSON.stringify(body)));
    return true;
  } catch {
    return false;
  }
};

describe('the infer decoder and the documented InferenceRequest schema', () => {
  it('the decoder accepts nothing the schema rejects', () => {
    let accepted = 0;
    fc.assert(
      fc.property(requestArb, (body) => {
        if (!decodes(body)) return;
        accepted++;
        expect(InferenceRequestSchema.safeParse(body).error).toBeUndefined();
      }),
      { numRuns: 3000 },
    );
    // The generator reaches accepted requests often enough for the property to mean something.
    expect(accepted).toBeGreaterThan(30);
  });

  it('both accept well-formed requests', () => {
    fc.assert(
      fc.property(validArb, (body) => {
        expect(InferenceRequestSchema.safeParse(body).error).toBeUndefined();
        expect(decodes(body)).toBe(true);
      }),
    );
  });

  it('both accept a request using every documented parameter', () => {
    for (const datatype of DATATYPES) {
      const value = datatype === 'BOOL' ? true : datatype === 'BYTES' ? 'ab' : 1;
      const body = {
        id: 'r1',
        parameters: { timeout: 5000, binary_data_output: false },
        inputs: [
          {
            name: 'x',
            shape: [2, 2],
            datatype,
            data: [
              [value, value],
              [value, value],
            ],
          },
        ],
        outputs: [{ name: 'y', parameters: { binary_data: true } }],
      };
      expect(InferenceRequestSchema.safeParse(body).error).toBeUndefined();
      expect(decodes(body)).toBe(true);
    }
  });
});
