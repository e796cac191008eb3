import { pickLane, type LaneState } from '../src/runtime/session-pool';

/** The pool's choice of where a version's next batch runs (src/runtime/session-pool.ts), as pure logic. */
interface TestLane extends LaneState {
  name: string;
  queued: number;
  thread: { failure?: Error };
}
const lane = (name: string, dedicated: boolean, queued = 0, running = 0): TestLane => ({
  name,
  dedicated,
  queued,
  running,
  thread: {},
});
const pick = (lanes: TestLane[]) => pickLane(lanes, (l) => l.queued).name;

describe('pickLane', () => {
  it('sends the first instance to the shared replica with the least compute queued, the first on a tie', () => {
    expect(pick([lane('a', false, 0.25), lane('b', false, 0.001)])).toBe('b');
    expect(pick([lane('a', false, 0.002), lane('b', false, 0.25)])).toBe('a');
    expect(pick([lane('a', false, 0.01), lane('b', false, 0.01)])).toBe('a');
  });

  it('prefers an idle dedicated instance, and never puts a second batch of the version on a shared thread', () => {
    expect(pick([lane('a', false), lane('b', false), lane('own', true)])).toBe('own');
    // Shared 'a' is busy with this version: the idle dedicated one takes the batch, not idle 'b'.
    expect(
      pick([lane('a', false, 0.1, 1), lane('b', false), lane('own', true, 0, 1), lane('own2', true)]),
    ).toBe('own2');
  });

  it('with more batches than live instances, queues on the least busy live lane', () => {
    // The dedicated thread died while the shared replica runs a batch.
    const dead = { ...lane('own', true), thread: { failure: new Error('exited with code 1') } };
    expect(pick([lane('a', false, 0.3, 1), lane('b', false, 0.1), dead])).toBe('b');
  });

  it('skips lanes on failed threads and throws the failure when none is left', () => {
    const failure = new Error('onnxruntime worker exited with code 1');
    const lost = (name: string) => ({ ...lane(name, false), thread: { failure } });
    expect(pick([lost('a'), lane('b', false, 5)])).toBe('b');
    expect(() => pick([lost('a'), lost('b')])).toThrow(failure);
  });
});
