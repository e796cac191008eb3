import type { Tensor } from '../src/core/tensor';
import { releaseBody, RELEASE_MIN_BYTES } from '../src/http/release-buffers';
import { decodeInferRequest } from '../src/protocol/infer-request';

/** Freeing a request body's buffers once decoded (src/http/release-buffers.ts). */
const big = (fill: number) => Buffer.allocUnsafeSlow(RELEASE_MIN_BYTES).fill(fill);
const fp32 = (data: Float32Array): Tensor => ({ name: 'x', datatype: 'FP32', shape: [data.length], data });

describe('releaseBody', () => {
  test('frees buffers that are the whole of their memory at once: they read as empty after', () => {
    const before = process.memoryUsage().arrayBuffers;
    const chunks = [Buffer.allocUnsafeSlow(8 << 20).fill(1), Buffer.allocUnsafeSlow(4 << 20).fill(2)];
    expect(process.memoryUsage().arrayBuffers).toBeGreaterThanOrEqual(before + (12 << 20));
    releaseBody(chunks, [fp32(new Float32Array(4))]);
    expect(chunks.map((c) => c.length)).toEqual([0, 0]);
    // V8 no longer counts them: no collection had to find them dead first.
    expect(process.memoryUsage().arrayBuffers).toBeLessThan(before + (1 << 20));
  });

  test('leaves a buffer that shares its memory with others, and those others, as they were', () => {
    const backing = new ArrayBuffer(RELEASE_MIN_BYTES * 2);
    const part = Buffer.from(backing, 0, RELEASE_MIN_BYTES).fill(7);
    const neighbour = Buffer.from(backing, RELEASE_MIN_BYTES, RELEASE_MIN_BYTES).fill(9);
    releaseBody([part], []);
    expect(part.length).toBe(RELEASE_MIN_BYTES);
    expect(part.every((b) => b === 7) && neighbour.every((b) => b === 9)).toBe(true);
  });

  test('leaves a body that a decoded tensor is a view on, numeric or BYTES', () => {
    const body = big(3);
    releaseBody(body, [fp32(new Float32Array(body.buffer, 64, 16))]);
    expect(body.length).toBe(RELEASE_MIN_BYTES);
    const element = body.subarray(10, 20);
    releaseBody(body, [{ name: 's', datatype: 'BYTES', shape: [1], data: [element] }]);
    expect(element.every((b) => b === 3)).toBe(true);
  });

  test('leaves small bodies to the collector', () => {
    const small = Buffer.allocUnsafeSlow(RELEASE_MIN_BYTES - 1).fill(5);
    releaseBody(small, []);
    expect(small.length).toBe(RELEASE_MIN_BYTES - 1);
  });

  test('a decoded binary-extension request keeps its values after its body is freed', () => {
    const values = Float32Array.from({ length: 8192 }, (_, i) => i / 7);
    const header = Buffer.from(
      JSON.stringify({
        inputs: [{ name: 'x', datatype: 'FP32', shape: [32, 256], parameters: { binary_data_size: 32768 } }],
      }),
    );
    const body = Buffer.concat([header, Buffer.from(values.buffer)]);
    const decoded = decodeInferRequest(body, header.length);
    releaseBody(body, decoded.inputs);
    expect(body.length).toBe(0);
    expect(Array.from(decoded.inputs[0].data as Float32Array)).toEqual(Array.from(values));
  });
});
