import { ExperimentService } from '../src/experiment/experiment-service';
import { emptyTotals, experimentReport, type VariantTotals } from '../src/experiment/report';
import { ModelConfigSchema } from '../src/repository/model-config';
import type { Observation } from '../src/pipeline/phases';

/** A seeded PRNG (mulberry32): the synthetic streams are the same on every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A variant whose answers are right with probability `p`, judged `n` times. */
function labelled(variant: string, p: number, n: number, random: () => number): VariantTotals {
  const t = {
    ...emptyTotals(variant, variant === 'control' ? '1' : '2'),
    requests: n,
    feedback: n,
    judged: n,
  };
  for (let i = 0; i < n; i++) if (random() < p) t.correct++;
  return t;
}

function rewarded(variant: string, mean: number, n: number, random: () => number): VariantTotals {
  const t = { ...emptyTotals(variant, '1'), requests: n, feedback: n, rewards: n };
  for (let i = 0; i < n; i++) {
    const r = mean + (random() - 0.5) * 2; // uniform, variance 1/3
    t.rewardSum += r;
    t.rewardSquares += r * r;
  }
  return t;
}

describe('experiment report', () => {
  it('finds the winner of a stream with a known difference in accuracy', () => {
    const random = rng(7);
    const report = experimentReport([
      labelled('control', 0.8, 600, random),
      labelled('treatment', 0.88, 600, random),
    ]);
    expect(report.winner).toBe('treatment');
    expect(report.significance).toMatchObject({
      test: 'two-proportion z-test (pooled, two-sided)',
      significant: true,
    });
    expect(report.verdict).toMatch(
      /^treatment wins: accuracy 0\.8\d\d vs 0\.[78]\d\d \(control\), p = .* < 0\.05\.$/,
    );
    const treatment = report.variants.find((v) => v.variant === 'treatment')!.outcome!;
    expect(treatment.ci95[0]).toBeLessThan(0.88);
    expect(treatment.ci95[1]).toBeGreaterThan(0.88);
  });

  it('finds no winner between equal variants and says how many more samples it would take', () => {
    const random = rng(11);
    const report = experimentReport([
      labelled('control', 0.8, 400, random),
      labelled('treatment', 0.8, 400, random),
    ]);
    expect(report.winner).toBeNull();
    expect(report.significance!.significant).toBe(false);
    expect(report.verdict).toMatch(/^No winner yet: accuracy .* \(not below 0\.05\)/);
    if (report.samplesNeeded !== null) expect(report.verdict).toContain(`about ${report.samplesNeeded} more`);
  });

  it('a difference too small for the samples so far is not a winner yet, with a sample size', () => {
    const t = [
      { ...emptyTotals('a', '1'), requests: 100, feedback: 100, judged: 100, correct: 82 },
      { ...emptyTotals('b', '2'), requests: 100, feedback: 100, judged: 100, correct: 78 },
    ];
    const report = experimentReport(t);
    expect(report.winner).toBeNull();
    // 0.82 vs 0.78 needs about 1,600 per arm at alpha 0.05 and 80% power.
    expect(report.samplesNeeded).toBeGreaterThan(1400);
    expect(report.samplesNeeded).toBeLessThan(1700);
  });

  it('compares mean rewards when feedback carries rewards', () => {
    const random = rng(3);
    const win = experimentReport([rewarded('a', 0.5, 300, random), rewarded('b', 0.8, 300, random)]);
    expect(win.metric).toBe('mean_reward');
    expect(win.winner).toBe('b');
    const tie = experimentReport([rewarded('a', 0.5, 300, random), rewarded('b', 0.5, 300, random)]);
    expect(tie.winner).toBeNull();
  });

  it('says there is no winner before any feedback', () => {
    expect(experimentReport([emptyTotals('a', '1'), emptyTotals('b', '2')]).verdict).toBe(
      'No winner yet: no feedback has arrived for any variant.',
    );
  });
});

describe('the feedback join window without Redis', () => {
  const config = ModelConfigSchema.parse({ name: 'm', max_batch_size: 1 });
  const served = (requestId: string): Observation => ({
    model: 'm',
    requestId,
    status: 200,
    seconds: 0.01,
    route: { version: '1', variant: 'ab:control' },
    result: {
      modelName: 'm',
      modelVersion: '1',
      outputs: [{ name: 'label', datatype: 'INT64', shape: [1], data: new BigInt64Array([1n]) }],
    },
  });

  it('keeps at most maxEntries predictions, oldest out first, and none past the TTL', async () => {
    let now = 0;
    const exp = new ExperimentService({
      engine: { modelConfig: () => config },
      maxEntries: 2,
      ttlMs: 1000,
      now: () => now,
    });
    for (const id of ['a', 'b', 'c']) exp.observe(served(id));
    await expect(exp.feedback('m', { id: 'a', label: 1 })).rejects.toThrow(/no A\/B prediction with id 'a'/);
    expect(await exp.feedback('m', { id: 'b', label: 1 })).toEqual({
      id: 'b',
      variant: 'control',
      correct: true,
    });
    now = 1500;
    await expect(exp.feedback('m', { id: 'c', label: 0 })).rejects.toThrow(/older than the join window/);
  });
});
