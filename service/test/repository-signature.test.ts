import { ModelConfigSchema, type ModelConfig } from '../src/repository/model-config';
import { resolveSignature, type OnnxIo } from '../src/repository/signature';

const io: OnnxIo = {
  inputs: [{ name: 'input', datatype: 'FP32', typeName: 'float32', shape: [-1, -1] }],
  outputs: [
    { name: 'label', datatype: 'INT64', typeName: 'int64', shape: [-1] },
    { name: 'probabilities', datatype: 'FP32', typeName: 'float32', shape: [-1, 2] },
  ],
};

const config = (extra: Record<string, unknown>): ModelConfig =>
  ModelConfigSchema.parse({ name: 'm', max_batch_size: 8, ...extra });

describe('resolveSignature', () => {
  test('without narrowing, the model declares everything', () => {
    expect(resolveSignature(io, config({}))).toEqual({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, -1] }],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
      maxBatchSize: 8,
    });
  });

  test('config fixes a dynamic dimension and hides an output', () => {
    const sig = resolveSignature(
      io,
      config({
        input: [{ name: 'input', dims: [30] }],
        output: [{ name: 'probabilities', datatype: 'FP32' }],
      }),
    );
    expect(sig.inputs[0].shape).toEqual([-1, 30]);
    expect(sig.outputs.map((o) => o.name)).toEqual(['probabilities']);
  });

  test('a non-tensor output is fine when hidden, an error when exposed', () => {
    const withMap: OnnxIo = {
      ...io,
      outputs: [...io.outputs, { name: 'zipmap', typeName: 'non-tensor', shape: [] }],
    };
    expect(() => resolveSignature(withMap, config({ output: [{ name: 'label' }] }))).not.toThrow();
    expect(() => resolveSignature(withMap, config({}))).toThrow(/output 'zipmap': type non-tensor .*hide it/);
  });

  test.each([
    [
      { input: [{ name: 'input', datatype: 'INT32' }] },
      /input 'input': datatype INT32 contradicts the ONNX model, which declares FP32/,
    ],
    [
      { input: [{ name: 'features' }] },
      /input 'features': the ONNX model has no input of that name \(it has 'input'\)/,
    ],
    [
      { output: [{ name: 'logits' }] },
      /output 'logits': the ONNX model has no output of that name \(it has 'label', 'probabilities'\)/,
    ],
    [
      { input: [{ name: 'input', dims: [30, 2] }] },
      /dims \[30,2\] has rank 2, but the ONNX model's shape \(without the batch dimension\) is \[-1\] \(rank 1\)/,
    ],
    [
      { output: [{ name: 'probabilities', dims: [3] }] },
      /output 'probabilities': dims \[3\] fixes dimension 0 to 3, but the ONNX model fixes it to 2/,
    ],
    [{ input: [{ name: 'input' }, { name: 'input' }] }, /input 'input': listed more than once/],
  ])('contradiction %# is a load error', (extra, message) => {
    expect(() => resolveSignature(io, config(extra))).toThrow(message);
  });

  test('max_batch_size > 0 needs a dynamic first dimension', () => {
    const fixed: OnnxIo = {
      ...io,
      inputs: [{ name: 'input', datatype: 'FP32', typeName: 'float32', shape: [1, 30] }],
    };
    expect(() => resolveSignature(fixed, config({}))).toThrow(
      /needs a dynamic first \(batch\) dimension, but the ONNX model fixes it to 1/,
    );
    expect(resolveSignature(fixed, config({ max_batch_size: 0 })).inputs[0].shape).toEqual([1, 30]);
  });

  test('max_batch_size 0 dims cover the whole shape', () => {
    const sig = resolveSignature(
      io,
      config({ max_batch_size: 0, input: [{ name: 'input', dims: [1, 30] }] }),
    );
    expect(sig.inputs[0].shape).toEqual([1, 30]);
  });
});
