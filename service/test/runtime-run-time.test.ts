import { inlineAverage, RunTimeAverage, runsInline } from '../src/runtime/run-time';

/** A version's run-time average and the inline bound (src/runtime/run-time.ts), as pure logic. */
const averageOf = (...runs: number[]) => {
  const a = inlineAverage(50e-6);
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

  it('holds while the average is within the bound, the bound itself included', () => {
    expect(runsInline(averageOf(12e-6, 14e-6), bound)).toBe(true);
    expect(runsInline(averageOf(50e-6), bound)).toBe(true);
    expect(runsInline(averageOf(51e-6), bound)).toBe(false);
  });

  it('a bound of 0 keeps every version on its threads', () => {
    expect(runsInline(averageOf(1e-9), 0)).toBe(false);
  });

  it('rides out a preempted run of a tiny model, but leaves within 14 runs at twice the bound', () => {
    const tiny = averageOf(12e-6, 15e-6, 11e-6);
    tiny.observe(5e-3);
    expect(runsInline(tiny, bound)).toBe(true);
    for (let i = 0; i < 20; i++) tiny.observe(12e-6);
    tiny.observe(5e-3);
    expect(runsInline(tiny, bound)).toBe(true);

    const growing = averageOf(12e-6, 15e-6, 11e-6);
    const verdicts = Array.from(
      { length: 14 },
      () => (growing.observe(2 * bound), runsInline(growing, bound)),
    );
    expect(verdicts.indexOf(false)).toBeGreaterThanOrEqual(0);
    expect(verdicts.at(-1)).toBe(false);
    // Shorter runs again bring it back.
    for (let i = 0; i < 60; i++) growing.observe(12e-6);
    expect(runsInline(growing, bound)).toBe(true);
  });

  it('leaves within two runs once they take 10 times the bound or more', () => {
    const a = averageOf(12e-6, 15e-6, 11e-6);
    a.observe(0.1);
    expect(runsInline(a, bound)).toBe(true);
    a.observe(0.1);
    expect(runsInline(a, bound)).toBe(false);
  });
});
