import { decodePrediction, encodePrediction, MalformedCacheEntryError } from '../src/guards/cache-codec';
import { predictionCacheKey } from '../src/guards/cache-key';
import type { InferResult } from '../src/core/engine';
import type { Tensor } from '../src/core/tensor';

const result: InferResult = {
  modelName: 'm',
  modelVersion: '1',
  outputs: [
    { name: 'probs', datatype: 'FP32', shape: [2, 2], data: new Float32Array([0.25, 0.75, 1, 0]) },
    { name: 'label', datatype: 'INT64', shape: [2], data: new BigInt64Array([1n, -3n]) },
    { name: 'text', datatype: 'BYTES', shape: [2], data: [Buffer.from('héllo'), Buffer.alloc(0)] },
    { name: 'flag', datatype: 'BOOL', shape: [1], data: new Uint8Array([1]) },
  ],
};

describe('prediction codec', () => {
  it('round-trips every storage kind', () => {
    const back = decodePrediction(encodePrediction(result));
    expect(back.modelName).toBe('m');
    expect(back.modelVersion).toBe('1');
    expect(back.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual(
      result.outputs.map((o) => [o.name, o.datatype, o.shape]),
    );
    expect(Array.from(back.outputs[0].data as Float32Array)).toEqual([0.25, 0.75, 1, 0]);
    expect(Array.from(back.outputs[1].data as BigInt64Array)).toEqual([1n, -3n]);
    expect((back.outputs[2].data as Buffer[]).map((b) => b.toString())).toEqual(['héllo', '']);
    expect(Array.from(back.outputs[3].data as Uint8Array)).toEqual([1]);
  });

  it('decodes an unaligned buffer into fresh arrays', () => {
    const encoded = encodePrediction(result);
    const shifted = Buffer.alloc(encoded.length + 1);
    encoded.copy(shifted, 1);
    const back = decodePrediction(shifted.subarray(1));
    (back.outputs[0].data as Float32Array)[0] = 99;
    expect(Array.from(decodePrediction(encoded).outputs[0].data as Float32Array)[0]).toBe(0.25);
  });

  it('decodes small outputs without a backing store per array, and large ones alike', () => {
    // A memory-tier hit decodes every time: a classifier's outputs are a few bytes, which V8 keeps
    // inside the array's heap object unless a store is made for them.
    const small = encodePrediction({
      modelName: 'm',
      modelVersion: '1',
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [1], data: new BigInt64Array([7n]) },
        { name: 'probs', datatype: 'FP32', shape: [1, 2], data: new Float32Array([0.125, 0.875]) },
      ],
    });
    const kept: InferResult[] = [];
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 4000; i++) kept.push(decodePrediction(small));
    // Two 8-byte stores per decode would be 64 kB; a pool refill for the entry is 8 kB.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16_000);
    expect(Array.from(kept[3999].outputs[1].data as Float32Array)).toEqual([0.125, 0.875]);
    (kept[0].outputs[1].data as Float32Array)[0] = 5;
    expect(Array.from(kept[1].outputs[1].data as Float32Array)).toEqual([0.125, 0.875]);

    const values = Float64Array.from({ length: 9 }, (_, i) => i / 3); // 72 bytes: past the in-heap size
    const large = decodePrediction(
      encodePrediction({
        modelName: 'm',
        modelVersion: '1',
        outputs: [
          { name: 'flag', datatype: 'BOOL', shape: [1], data: new Uint8Array([1]) },
          { name: 'x', datatype: 'FP64', shape: [9], data: values },
        ],
      }),
    );
    expect(Array.from(large.outputs[1].data as Float64Array)).toEqual(Array.from(values));
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['wrong magic', Buffer.from('XXXX\x01\x00\x00\x00\x00')],
    ['text', Buffer.from('not a cache entry at all')],
    ['truncated', encodePrediction(result).subarray(0, 40)],
    ['payload cut short', encodePrediction(result).subarray(0, encodePrediction(result).length - 1)],
    ['trailing garbage', Buffer.concat([encodePrediction(result), Buffer.from([0])])],
  ])('rejects a %s entry with MalformedCacheEntryError', (_name, buf) => {
    expect(() => decodePrediction(buf)).toThrow(MalformedCacheEntryError);
  });

  it('rejects a header that lies about the payload size', () => {
    const header = Buffer.from(JSON.stringify({ m: 'm', v: '1', o: [{ n: 'x', d: 'FP32', s: [3], b: 8 }] }));
    const prefix = Buffer.alloc(9);
    prefix.write('MLPC');
    prefix.writeUInt8(1, 4);
    prefix.writeUInt32LE(header.length, 5);
    expect(() => decodePrediction(Buffer.concat([prefix, header, Buffer.alloc(8)]))).toThrow(
      /8 bytes for shape \[3\]/,
    );
  });

  it('rejects an unknown datatype in the header', () => {
    const header = Buffer.from(
      JSON.stringify({ m: 'm', v: '1', o: [{ n: 'x', d: 'FP128', s: [1], b: 16 }] }),
    );
    const prefix = Buffer.alloc(9);
    prefix.write('MLPC');
    prefix.writeUInt8(1, 4);
    prefix.writeUInt32LE(header.length, 5);
    expect(() => decodePrediction(Buffer.concat([prefix, header, Buffer.alloc(16)]))).toThrow(
      MalformedCacheEntryError,
    );
  });
});

describe('prediction cache key', () => {
  const a: Tensor = { name: 'a', datatype: 'FP32', shape: [1, 2], data: new Float32Array([1, 2]) };
  const b: Tensor = { name: 'b', datatype: 'INT64', shape: [1], data: new BigInt64Array([7n]) };

  it('ignores the order inputs are listed in', () => {
    expect(predictionCacheKey('m', '1', [a, b])).toBe(predictionCacheKey('m', '1', [b, a]));
  });

  it('covers model, version, name, datatype, shape and bytes', () => {
    const base = predictionCacheKey('m', '1', [a]);
    const variants = [
      predictionCacheKey('n', '1', [a]),
      predictionCacheKey('m', '2', [a]),
      predictionCacheKey('m', '1', [{ ...a, name: 'c' }]),
      predictionCacheKey('m', '1', [
        { ...a, datatype: 'INT32', data: new Int32Array(new Float32Array([1, 2]).buffer) },
      ]),
      predictionCacheKey('m', '1', [{ ...a, shape: [2, 1] }]),
      predictionCacheKey('m', '1', [{ ...a, data: new Float32Array([1, 3]) }]),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it('does not let field boundaries collide', () => {
    expect(predictionCacheKey('ab', '1', [])).not.toBe(predictionCacheKey('a', 'b1', []));
    const s = (els: string[]): Tensor => ({
      name: 's',
      datatype: 'BYTES',
      shape: [els.length],
      data: els.map((e) => Buffer.from(e)),
    });
    expect(predictionCacheKey('m', '1', [s(['ab', 'c'])])).not.toBe(
      predictionCacheKey('m', '1', [s(['a', 'bc'])]),
    );
  });

  it('hashes the viewed bytes of a typed array, not its whole backing buffer', () => {
    const backing = new Float32Array([9, 1, 2, 9]);
    const view = { ...a, data: backing.subarray(1, 3) };
    expect(predictionCacheKey('m', '1', [view])).toBe(predictionCacheKey('m', '1', [a]));
  });
});
