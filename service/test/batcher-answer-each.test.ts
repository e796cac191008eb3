import { answerEach } from '../src/batching/batcher';
import type { Queued } from '../src/batching/scheduler';
import type { BatchRequest } from '../src/core/engine';
import { ServiceError } from '../src/core/errors';
import type { Tensor } from '../src/core/tensor';

/** A queued request whose Settle records what it was given, and throws if told to. */
function request(throwing?: Error) {
  const got: { parts?: Tensor[]; error?: unknown } = {};
  const item: BatchRequest = {
    inputs: [],
    resolve(parts) {
      got.parts = parts;
      if (throwing) throw throwing;
    },
    reject(error) {
      got.error = error;
      if (throwing) throw throwing;
    },
  };
  const queued: Queued<BatchRequest> = { item, rows: 1, enqueuedAt: 0, deadline: Infinity };
  return { queued, got };
}

const part = (n: number): Tensor[] => [
  { name: 'y', datatype: 'FP32', shape: [1, 1], data: new Float32Array([n]) },
];

describe("answerEach: a batch's requests are all answered", () => {
  it('gives each request its own part', () => {
    const rs = [request(), request(), request()];
    answerEach(
      rs.map((r) => r.queued),
      [part(0), part(1), part(2)],
      undefined,
    );
    expect(rs.map((r) => r.got.parts)).toEqual([part(0), part(1), part(2)]);
  });

  it("answers the rest when one request's Settle throws, then surfaces the first throw", () => {
    const first = new Error('first settle bug');
    const rs = [request(), request(first), request(new Error('second')), request()];
    expect(() =>
      answerEach(
        rs.map((r) => r.queued),
        rs.map((_, i) => part(i)),
        undefined,
      ),
    ).toThrow(first);
    expect(rs.map((r) => r.got.parts)).toEqual([part(0), part(1), part(2), part(3)]);
  });

  it("gives every request the batch's failure, even past a throwing Settle", () => {
    const failure = new ServiceError(500, 'batch failed');
    const rs = [request(new Error('settle bug')), request()];
    expect(() =>
      answerEach(
        rs.map((r) => r.queued),
        undefined,
        failure,
      ),
    ).toThrow('settle bug');
    expect(rs.map((r) => r.got.error)).toEqual([failure, failure]);
  });
});
