import { inlineRunTime, RunTimeAverage, runsInline } from '../src/runtime/run-time';

/** A version's run-time average and the inline bound (src/runtime/run-time.ts), as pure logic. */
const averageOf = (...runs: number[]) => {
  const a = inlineRunTime();
  for (const r of runs) a.observe(r);
  return a;
};
const weighted = (weight: number, ...runs: number[]) => {
  const a = new RunTimeAverage(weight);
  for (const r of runs) a.observe(r);
  return a;
};

describe('RunTimeAverage', () => {
  it('starts at the first run, then moves `weight` of the way to each new one', () => {
    expect(weighted(0.3).seconds).toBe(0);
    expect(weighted(0.3, 0.002).seconds).toBe(0.002);
    expect(weighted(0.3, 0.002, 0.012).seconds).toBeCloseTo(0.005, 12);
    expect(weighted(0.3, 0.002, 0.012, 0.005).seconds).toBeCloseTo(0.005, 12);
    expect(weighted(0.05, 0.002, 0.012).seconds).toBeCloseTo(0.0025, 12);
  });

  it('counts a run as at most its cap', () => {
    const capped = new RunTimeAverage(0.5, 0.001);
    capped.observe(0.0005);
    capped.observe(0.1);
    expect(capped.seconds).toBeCloseTo(0.00075, 12);
  });
});

describe('runsInline', () => {
  const bound = 50e-6;

  it('is false before any run was timed, whatever the bound', () => {
    expect(runsInline(averageOf(), bound)).toBe(false);
    expect(runsInline(averageOf(), 1)).toBe(false);
  });

  it('holds while the recent runs are within the bound, the bound itself included', () => {
    expect(runsInline(averageOf(12e-6, 14e-6), bound)).toBe(true);
    expect(runsInline(averageOf(50e-6), bound)).toBe(true);
    expect(runsInline(averageOf(51e-6), bound)).toBe(false);
  });

  it('a bound of 0 keeps every version on its threads', () => {
    expect(runsInline(averageOf(1e-9), 0)).toBe(false);
  });

  it('rides out preempted runs of a tiny model, even two of every five', () => {
    const tiny = averageOf(12e-6, 15e-6, 11e-6);
    for (let i = 0; i < 20; i++) {
      tiny.observe(i % 5 < 2 ? 5e-3 : 12e-6);
      expect(runsInline(tiny, bound)).toBe(true);
    }
  });

  it('leaves on the third run past the bound, however far past, and comes back on the third short one', () => {
    for (const slow of [2 * bound, 0.1]) {
      const growing = averageOf(12e-6, 15e-6, 11e-6, 13e-6, 12e-6);
      const verdicts = Array.from({ length: 4 }, () => (growing.observe(slow), runsInline(growing, bound)));
      expect(verdicts).toEqual([true, true, false, false]);
      const back = Array.from({ length: 3 }, () => (growing.observe(12e-6), runsInline(growing, bound)));
      expect(back).toEqual([false, false, true]);
    }
  });
});
