import { outputDifferences } from '../bench/peer-equality';

const answer = (outputs: { name: string; datatype: string; shape: number[]; data: unknown[] }[]) => ({
  model_name: 'm',
  outputs,
});
const service = answer([
  { name: 'label', datatype: 'INT64', shape: [2], data: [1, 0] },
  { name: 'probabilities', datatype: 'FP32', shape: [2, 2], data: [0.25, 0.75, 0.9, 0.1] },
]);

describe('outputDifferences (the peers bench checks answers before timing)', () => {
  it('accepts the same answer, in any output order, with float noise inside the tolerance', () => {
    const peer = answer([
      { name: 'probabilities', datatype: 'FP32', shape: [2, 2], data: [0.25000001, 0.75, 0.9, 0.1] },
      { name: 'label', datatype: 'INT64', shape: [2], data: [1, 0] },
    ]);
    expect(outputDifferences(service, peer)).toEqual([]);
  });

  it('names each output that differs and how', () => {
    const peer = answer([
      { name: 'label', datatype: 'INT64', shape: [2], data: [1, 1] },
      { name: 'probabilities', datatype: 'FP32', shape: [2, 2], data: [0.25, 0.75, 0.8, 0.2] },
      { name: 'extra', datatype: 'FP32', shape: [1], data: [0] },
    ]);
    expect(outputDifferences(service, peer)).toEqual([
      "output 'extra': only the peer returns it",
      "output 'label': data[1] is 0, the peer's 1",
      "output 'probabilities': data[2] is 0.9, the peer's 0.8",
    ]);
  });

  it('reports a missing output, a datatype, a shape and a malformed answer', () => {
    expect(
      outputDifferences(service, answer([{ name: 'label', datatype: 'INT32', shape: [2], data: [1, 0] }])),
    ).toEqual([
      "output 'label': datatype INT64 vs the peer's INT32",
      "output 'probabilities': the peer does not return it",
    ]);
    expect(
      outputDifferences(
        service,
        answer([
          { name: 'label', datatype: 'INT64', shape: [2], data: [1, 0] },
          { name: 'probabilities', datatype: 'FP32', shape: [4], data: [0.25, 0.75, 0.9, 0.1] },
        ]),
      ),
    ).toEqual(["output 'probabilities': shape [2,2] vs the peer's [4]"]);
    expect(() => outputDifferences(service, { error: 'boom' })).toThrow(
      /peer: the response has no outputs array/,
    );
  });

  it("ignores what is not an output: MLServer's id, model_version and per-output parameters", () => {
    const mlserver = {
      model_name: 'm',
      model_version: '1',
      id: 'c0ffee',
      parameters: {},
      outputs: [
        { name: 'label', shape: [2], datatype: 'INT64', data: [1, 0], parameters: { content_type: 'np' } },
        { name: 'probabilities', shape: [2, 2], datatype: 'FP32', data: [0.25, 0.75, 0.9, 0.1] },
      ],
    };
    expect(outputDifferences(service, mlserver)).toEqual([]);
  });

  it('never lets a NaN pass for a number', () => {
    const peer = answer([
      { name: 'label', datatype: 'INT64', shape: [2], data: [1, 0] },
      { name: 'probabilities', datatype: 'FP32', shape: [2, 2], data: [0.25, 0.75, NaN, 0.1] },
    ]);
    expect(outputDifferences(service, peer)).toEqual([
      "output 'probabilities': data[2] is 0.9, the peer's NaN",
    ]);
  });
});
