import type { Tensor } from '../src/core/tensor';
import { BatchBuffers, concatInputs, releaseInputs, splitOutputs } from '../src/batching/tensor-batch';

const req = (rows: number, start: number): Tensor[] => [
  {
    name: 'x',
    datatype: 'FP32',
    shape: [rows, 2],
    data: Float32Array.from({ length: rows * 2 }, (_, i) => start + i),
  },
  {
    name: 'ids',
    datatype: 'INT64',
    shape: [rows],
    data: BigInt64Array.from({ length: rows }, (_, i) => BigInt(start + i)),
  },
  {
    name: 's',
    datatype: 'BYTES',
    shape: [rows],
    data: Array.from({ length: rows }, (_, i) => Buffer.from(`r${start + i}`)),
  },
];

describe('concatInputs / splitOutputs', () => {
  test('concatenates along the batch dimension in request order, matching inputs by name', () => {
    const buffers = new BatchBuffers();
    const second = req(1, 100).reverse(); // input order differs between requests
    const batched = concatInputs([req(2, 0), second], 3, buffers);
    expect(batched.map((t) => [t.name, t.shape])).toEqual([
      ['x', [3, 2]],
      ['ids', [3]],
      ['s', [3]],
    ]);
    expect(Array.from(batched[0].data as Float32Array)).toEqual([0, 1, 2, 3, 100, 101]);
    expect(Array.from(batched[1].data as BigInt64Array)).toEqual([0n, 1n, 100n]);
    expect((batched[2].data as Buffer[]).map(String)).toEqual(['r0', 'r1', 'r100']);
  });

  test('buffers are reused once released, and a reused buffer is fully overwritten', () => {
    const buffers = new BatchBuffers();
    const first = concatInputs([req(2, 0), req(2, 10)], 4, buffers);
    const firstX = first[0].data as Float32Array;
    releaseInputs(first, buffers);
    const second = concatInputs([req(1, 50), req(1, 60)], 2, buffers);
    expect((second[0].data as Float32Array).buffer).toBe(firstX.buffer);
    expect(Array.from(second[0].data as Float32Array)).toEqual([50, 51, 60, 61]);
  });

  test('the pool keeps the larger buffers, so that bigger batches stop allocating', () => {
    const buffers = new BatchBuffers();
    // Two small batches in flight at once fill the pool with small buffers...
    const small1 = concatInputs([req(1, 0)], 1, buffers);
    const small2 = concatInputs([req(1, 1)], 1, buffers);
    const big = concatInputs([req(2, 0), req(2, 2)], 4, buffers);
    const bigX = (big[0].data as Float32Array).buffer;
    releaseInputs(small1, buffers);
    releaseInputs(small2, buffers);
    // ...and a bigger one released afterwards takes a small one's place.
    releaseInputs(big, buffers);
    const again = concatInputs([req(2, 10), req(2, 20)], 4, buffers);
    expect((again[0].data as Float32Array).buffer).toBe(bigX);
  });

  test('a batch while another holds the buffer gets its own', () => {
    const buffers = new BatchBuffers();
    const a = concatInputs([req(1, 0), req(1, 1)], 2, buffers);
    const b = concatInputs([req(1, 5), req(1, 6)], 2, buffers);
    expect((a[0].data as Float32Array).buffer).not.toBe((b[0].data as Float32Array).buffer);
  });

  test('splits every output back into each request’s rows', () => {
    const outputs: Tensor[] = [
      { name: 'y', datatype: 'FP32', shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => i) },
      { name: 'label', datatype: 'INT64', shape: [4], data: new BigInt64Array([7n, 8n, 9n, 10n]) },
    ];
    const parts = splitOutputs(outputs, [1, 3]);
    expect(parts[0].map((t) => [t.name, t.shape, Array.from(t.data as ArrayLike<unknown>)])).toEqual([
      ['y', [1, 3], [0, 1, 2]],
      ['label', [1], [7n]],
    ]);
    expect(parts[1][0].shape).toEqual([3, 3]);
    expect(Array.from(parts[1][0].data as Float32Array)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(Array.from(parts[1][1].data as BigInt64Array)).toEqual([8n, 9n, 10n]);
  });

  test('an output that lost the batch dimension cannot be split', () => {
    const outputs: Tensor[] = [{ name: 'sum', datatype: 'FP32', shape: [1], data: new Float32Array(1) }];
    expect(() => splitOutputs(outputs, [1, 2])).toThrow(/output 'sum' has 1 rows for a batch of 3/);
  });
});

describe('BatchBuffers: a buffer moved to another thread and not handed back', () => {
  test('is dropped on release instead of failing it, and the next batch gets a live buffer', () => {
    const buffers = new BatchBuffers();
    const batch = concatInputs([req(1, 0), req(1, 1)], 2, buffers);
    const x = batch[0].data as Float32Array;
    structuredClone(x, { transfer: [x.buffer as ArrayBuffer] }); // as a failed lent run leaves it
    expect(() => releaseInputs(batch, buffers)).not.toThrow();
    const next = concatInputs([req(1, 5), req(1, 6)], 2, buffers);
    expect(Array.from(next[0].data as Float32Array)).toEqual([5, 6, 6, 7]);
  });
});
