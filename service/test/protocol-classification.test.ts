import fc from 'fast-check';
import { ServiceError } from '../src/core/errors';
import type { Tensor } from '../src/core/tensor';
import { classify } from '../src/protocol/classification';

const strings = (t: Tensor) => (t.data as Buffer[]).map((b) => b.toString());

describe('classification extension (top-k as "score:index[:label]")', () => {
  const probabilities: Tensor = {
    name: 'probabilities',
    datatype: 'FP32',
    shape: [2, 3],
    data: new Float32Array([0.1, 0.7, 0.2, 0.5, 0.25, 0.25]),
  };

  it('classifies each row of a batched output, best first, with labels', () => {
    const out = classify(probabilities, 2, { batched: true, labels: ['a', 'b', 'c'] });
    expect(out).toMatchObject({ name: 'probabilities', datatype: 'BYTES', shape: [2, 2] });
    expect(strings(out)).toEqual(['0.700000:1:b', '0.200000:2:c', '0.500000:0:a', '0.250000:1:b']);
  });

  it('treats an unbatched output as one row, leaves out missing labels and cuts k to the class count', () => {
    const out = classify(probabilities, 10, { batched: false, labels: ['a'] });
    expect(out.shape).toEqual([6]);
    expect(strings(out)).toEqual([
      '0.700000:1',
      '0.500000:3',
      '0.250000:4',
      '0.250000:5',
      '0.200000:2',
      '0.100000:0:a',
    ]);
  });

  it('prints integer scores as integers and refuses BYTES outputs', () => {
    const ints: Tensor = {
      name: 'votes',
      datatype: 'INT64',
      shape: [1, 3],
      data: new BigInt64Array([3n, 9n, 1n]),
    };
    expect(strings(classify(ints, 1, { batched: true }))).toEqual(['9:1']);
    const bytes: Tensor = { name: 'text', datatype: 'BYTES', shape: [1], data: [Buffer.from('x')] };
    expect(() => classify(bytes, 1, { batched: false })).toThrow(ServiceError);
    expect(() => classify(bytes, 1, { batched: false })).toThrow(/output 'text'.*numeric/);
  });

  it('returns, per row, the k largest scores in descending order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 8 }),
        fc.gen(),
        (rows, classes, k, g) => {
          const values = Array.from(
            { length: rows * classes },
            () => g(fc.integer, { min: -50, max: 50 }) / 4,
          );
          const t: Tensor = {
            name: 'p',
            datatype: 'FP64',
            shape: [rows, classes],
            data: new Float64Array(values),
          };
          const out = strings(classify(t, k, { batched: true }));
          const top = Math.min(k, classes);
          expect(out).toHaveLength(rows * top);
          for (let r = 0; r < rows; r++) {
            const row = values.slice(r * classes, (r + 1) * classes);
            const got = out.slice(r * top, (r + 1) * top).map((s) => s.split(':'));
            expect(got.map(([score]) => Number(score))).toEqual([...row].sort((a, b) => b - a).slice(0, top));
            for (const [score, index] of got) expect(row[Number(index)]).toBe(Number(score));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
