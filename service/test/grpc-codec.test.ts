import { DATATYPES } from '@ml-platform/contract/names';
import type { Datatype, TensorData } from '../src/core/tensor';
import { decodeModelInferRequest, encodeModelInferResponse } from '../src/grpc/infer-codec';
import { hasContentsField } from '../src/grpc/tensor-contents';
import { tensorDataToBinary } from '../src/protocol/binary-tensor';
import { tensorDataFromJson } from '../src/protocol/json-tensor';

/** Three elements per datatype, including each one's extremes. */
const SAMPLES: Record<Datatype, unknown[]> = {
  BOOL: [true, false, true],
  UINT8: [0, 7, 255],
  UINT16: [0, 7, 65535],
  UINT32: [0, 7, 4294967295],
  UINT64: [0, 7, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 0, 127],
  INT16: [-32768, 0, 32767],
  INT32: [-2147483648, 0, 2147483647],
  INT64: [-Number.MAX_SAFE_INTEGER, 0, Number.MAX_SAFE_INTEGER],
  FP16: [0.5, -2, 1024],
  FP32: [0.5, -2.25, 1e10],
  FP64: [0.1, -2.5, 1e300],
  BYTES: ['a', '', 'ünï'],
};
const storage = (dt: Datatype): TensorData => tensorDataFromJson('x', dt, SAMPLES[dt]);

/** The typed `contents` a client sends for the samples (int64 as decimal strings, bytes as Buffers). */
function typedContents(dt: Datatype): Record<string, unknown[]> {
  const values = SAMPLES[dt];
  const field: Record<Datatype, string> = {
    BOOL: 'bool_contents',
    UINT8: 'uint_contents',
    UINT16: 'uint_contents',
    UINT32: 'uint_contents',
    UINT64: 'uint64_contents',
    INT8: 'int_contents',
    INT16: 'int_contents',
    INT32: 'int_contents',
    INT64: 'int64_contents',
    FP16: 'none',
    FP32: 'fp32_contents',
    FP64: 'fp64_contents',
    BYTES: 'bytes_contents',
  };
  if (dt === 'BYTES') return { bytes_contents: values.map((v) => Buffer.from(v as string)) };
  if (dt === 'INT64' || dt === 'UINT64') return { [field[dt]]: values.map(String) };
  if (dt === 'FP32') return { fp32_contents: Array.from(Float32Array.from(values as number[])) };
  return { [field[dt]]: values };
}

const request = (dt: Datatype, input: Record<string, unknown>, raw?: Buffer[]) =>
  decodeModelInferRequest({
    model_name: 'm',
    inputs: [{ name: 'x', datatype: dt, shape: ['3'], ...input }],
    ...(raw && { raw_input_contents: raw }),
  });

describe.each(DATATYPES.filter((dt) => dt !== 'FP16'))('%s', (dt) => {
  it('typed contents decode to the storage REST decodes from JSON, and encode back', () => {
    const decoded = request(dt, { contents: typedContents(dt) });
    expect(decoded.inputs[0]).toEqual({ name: 'x', datatype: dt, shape: [3], data: storage(dt) });
    const response = encodeModelInferResponse(decoded, {
      modelName: 'm',
      modelVersion: '1',
      outputs: decoded.inputs,
    });
    expect(response.raw_output_contents).toBeUndefined();
    expect(response.outputs[0]).toEqual({ name: 'x', datatype: dt, shape: [3], contents: typedContents(dt) });
  });

  it('raw contents decode to the same storage and come back raw, byte for byte', () => {
    const bytes = tensorDataToBinary(dt, storage(dt));
    const decoded = request(dt, {}, [bytes]);
    expect(decoded.inputs[0].data).toEqual(storage(dt));
    const response = encodeModelInferResponse(decoded, {
      modelName: 'm',
      modelVersion: '1',
      outputs: decoded.inputs,
    });
    expect(response.outputs[0].contents).toBeUndefined();
    expect(response.raw_output_contents).toEqual([bytes]);
  });
});

describe('FP16 and mixed forms', () => {
  it('FP16 travels raw only: typed input is refused, output is raw even for a typed request', () => {
    expect(hasContentsField('FP16')).toBe(false);
    expect(() => request('FP16', { contents: { fp32_contents: [1, 2, 3] } })).toThrow(
      /FP16 has no contents field; send it in raw_input_contents/,
    );
    const typed = request('FP32', { contents: { fp32_contents: [1, 2, 3] } });
    const response = encodeModelInferResponse(typed, {
      modelName: 'm',
      modelVersion: '1',
      outputs: [{ name: 'x', datatype: 'FP16', shape: [3], data: storage('FP16') }],
    });
    expect(response.raw_output_contents).toEqual([tensorDataToBinary('FP16', storage('FP16'))]);
  });

  it('range-checks narrow integers and names the input and index', () => {
    expect(() => request('INT8', { contents: { int_contents: [1, 200, 3] } })).toThrow(
      /input 'x': data\[1\] must be an integer in \[-128, 127\] for INT8/,
    );
  });

  it('one raw entry per input, and parameters carry over as REST parameters', () => {
    expect(() => request('FP32', {}, [Buffer.alloc(12), Buffer.alloc(12)])).toThrow(
      /raw_input_contents has 2 entries, expected one per input \(1\)/,
    );
    const decoded = decodeModelInferRequest({
      model_name: 'm',
      id: '',
      parameters: {
        timeout: { parameter_choice: 'int64_param', int64_param: '2500' },
        cache: { parameter_choice: 'bool_param', bool_param: false },
        ab: { parameter_choice: 'string_param', string_param: 'k' },
      },
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['3'], contents: { fp32_contents: [1, 2, 3] } }],
      outputs: [
        { name: 'x', parameters: { binary_data: { parameter_choice: 'bool_param', bool_param: true } } },
      ],
    });
    expect(decoded).toMatchObject({
      id: undefined,
      timeoutMs: 2.5,
      parameters: { timeout: 2500, cache: false, ab: 'k' },
      outputs: [{ name: 'x', binary: true }],
    });
  });
});
