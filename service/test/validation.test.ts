import { ServiceError } from '../src/core/errors';
import type { Tensor } from '../src/core/tensor';
import type { ModelSignature } from '../src/repository/signature';
import { validateInferRequest } from '../src/validation/validate-request';

const classifier: ModelSignature = {
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [
    { name: 'label', datatype: 'INT64', shape: [-1] },
    { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
  ],
  maxBatchSize: 8,
};

const twoInputs: ModelSignature = {
  inputs: [
    { name: 'a', datatype: 'INT64', shape: [-1, 2] },
    { name: 'b', datatype: 'FP16', shape: [-1, -1] },
  ],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
  maxBatchSize: 4,
};

const unbatched: ModelSignature = {
  inputs: [{ name: 'pixels', datatype: 'UINT8', shape: [64] }],
  outputs: [{ name: 'label', datatype: 'INT64', shape: [1] }],
  maxBatchSize: 0,
};

const fp32 = (rows: number, values?: number[]): Tensor => ({
  name: 'input',
  datatype: 'FP32',
  shape: [rows, 4],
  data: values ? Float32Array.from(values) : new Float32Array(rows * 4),
});

function rejection(sig: ModelSignature, inputs: Tensor[], outputs?: string[]): string {
  try {
    validateInferRequest(sig, inputs, outputs);
  } catch (e) {
    expect(e).toBeInstanceOf(ServiceError);
    expect((e as ServiceError).status).toBe(400);
    return (e as Error).message;
  }
  throw new Error('expected a 400');
}

describe('validateInferRequest accepts', () => {
  test('a well-formed batched request and returns its row count', () => {
    expect(validateInferRequest(classifier, [fp32(3)])).toBe(3);
    expect(validateInferRequest(classifier, [fp32(8)], ['label'])).toBe(8);
  });

  test('dynamic non-batch dimensions of any size, inputs in any order', () => {
    const b: Tensor = { name: 'b', datatype: 'FP16', shape: [2, 5], data: new Uint16Array(10).fill(0x3c00) };
    const a: Tensor = { name: 'a', datatype: 'INT64', shape: [2, 2], data: new BigInt64Array(4) };
    expect(validateInferRequest(twoInputs, [b, a])).toBe(2);
  });

  test('a model without a batch dimension counts as one row', () => {
    const t: Tensor = { name: 'pixels', datatype: 'UINT8', shape: [64], data: new Uint8Array(64) };
    expect(validateInferRequest(unbatched, [t])).toBe(1);
  });
});

describe('validateInferRequest rejects with a message naming the input and the expectation', () => {
  test('unknown input', () => {
    const msg = rejection(classifier, [fp32(1), { ...fp32(1), name: 'extra' }]);
    expect(msg).toBe("unknown input 'extra'; the model expects 'input' (FP32 [-1,4])");
  });

  test('missing input', () => {
    const a: Tensor = { name: 'a', datatype: 'INT64', shape: [1, 2], data: new BigInt64Array(2) };
    expect(rejection(twoInputs, [a])).toBe("missing input 'b': expected FP16 [-1,-1]");
  });

  test('duplicate input', () => {
    expect(rejection(classifier, [fp32(1), fp32(1)])).toMatch(/input 'input' is given more than once/);
  });

  test('wrong datatype', () => {
    const t: Tensor = { name: 'input', datatype: 'INT64', shape: [1, 4], data: new BigInt64Array(4) };
    expect(rejection(classifier, [t])).toBe("input 'input': expected datatype FP32, got INT64");
  });

  test('wrong rank', () => {
    const t: Tensor = { name: 'input', datatype: 'FP32', shape: [4], data: new Float32Array(4) };
    expect(rejection(classifier, [t])).toBe(
      "input 'input': expected shape [-1,4] (rank 2), got [4] (rank 1)",
    );
  });

  test('wrong fixed dimension', () => {
    const t: Tensor = { name: 'input', datatype: 'FP32', shape: [2, 5], data: new Float32Array(10) };
    expect(rejection(classifier, [t])).toBe("input 'input': expected shape [-1,4], got [2,5] (dimension 1)");
  });

  test('negative or fractional dimension', () => {
    const t: Tensor = { name: 'input', datatype: 'FP32', shape: [-2, 4], data: new Float32Array(0) };
    expect(rejection(classifier, [t])).toMatch(/dimension 0 must be a non-negative integer, got -2/);
  });

  test('batch dimension above max_batch_size', () => {
    expect(rejection(classifier, [fp32(9)])).toBe(
      "input 'input': batch dimension 9 exceeds the model's max_batch_size 8",
    );
  });

  test('empty batch', () => {
    expect(rejection(classifier, [fp32(0)])).toMatch(/batch dimension must be at least 1, got 0/);
  });

  test('inputs with different batch sizes', () => {
    const a: Tensor = { name: 'a', datatype: 'INT64', shape: [2, 2], data: new BigInt64Array(4) };
    const b: Tensor = { name: 'b', datatype: 'FP16', shape: [3, 1], data: new Uint16Array(3) };
    expect(rejection(twoInputs, [a, b])).toMatch(/input 'b': batch dimension 3 differs from input 'a' \(2\)/);
  });

  test('element count that does not match the shape', () => {
    const t: Tensor = { name: 'input', datatype: 'FP32', shape: [2, 4], data: new Float32Array(7) };
    expect(rejection(classifier, [t])).toBe("input 'input': shape [2,4] needs 8 elements, got 7");
  });

  test.each([
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
  ])('FP32 %p', (bad, word) => {
    const values = [1, 2, 3, 4, 5, bad, 7, 8];
    expect(rejection(classifier, [fp32(2, values)])).toBe(
      `input 'input': element 5 is ${word}; FP32 inputs must be finite`,
    );
  });

  test('FP64 NaN', () => {
    const sig: ModelSignature = { ...classifier, inputs: [{ name: 'x', datatype: 'FP64', shape: [-1] }] };
    const t: Tensor = { name: 'x', datatype: 'FP64', shape: [2], data: new Float64Array([0, NaN]) };
    expect(rejection(sig, [t])).toBe("input 'x': element 1 is NaN; FP64 inputs must be finite");
  });

  test.each([
    [0x7c00, 'Infinity'],
    [0xfc00, '-Infinity'],
    [0x7e00, 'NaN'],
  ])('FP16 bits %p', (bits, word) => {
    const a: Tensor = { name: 'a', datatype: 'INT64', shape: [1, 2], data: new BigInt64Array(2) };
    const b: Tensor = {
      name: 'b',
      datatype: 'FP16',
      shape: [1, 3],
      data: new Uint16Array([0x3c00, 0x7bff, bits]),
    };
    expect(rejection(twoInputs, [a, b])).toBe(`input 'b': element 2 is ${word}; FP16 inputs must be finite`);
  });

  test('unknown requested output', () => {
    expect(rejection(classifier, [fp32(1)], ['label', 'logits'])).toBe(
      "unknown output 'logits'; the model has outputs 'label', 'probabilities'",
    );
  });

  test('an output requested twice', () => {
    expect(rejection(classifier, [fp32(1)], ['label', 'label'])).toMatch(
      /output 'label' is requested more than once/,
    );
  });

  test('a fixed-shape input of a model without a batch dimension', () => {
    const t: Tensor = { name: 'pixels', datatype: 'UINT8', shape: [1, 64], data: new Uint8Array(64) };
    expect(rejection(unbatched, [t])).toBe(
      "input 'pixels': expected shape [64] (rank 1), got [1,64] (rank 2)",
    );
  });
});
