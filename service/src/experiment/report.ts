import {
  meanDifferenceTest,
  normalQuantile,
  samplesPerArm,
  twoProportionZTest,
  wilsonInterval,
  type TwoProportionResult,
} from '../rollout/statistics';

/** One A/B variant's totals: served requests and the outcomes fed back for them. */
export interface VariantTotals {
  variant: string;
  version: string;
  requests: number;
  latencySecondsSum: number;
  feedback: number;
  /** Feedback carrying a label (or a value) that could be compared with the prediction. */
  judged: number;
  correct: number;
  rewards: number;
  rewardSum: number;
  rewardSquares: number;
}

export function emptyTotals(variant: string, version: string): VariantTotals {
  return {
    variant,
    version,
    requests: 0,
    latencySecondsSum: 0,
    feedback: 0,
    judged: 0,
    correct: 0,
    rewards: 0,
    rewardSum: 0,
    rewardSquares: 0,
  };
}

type Metric = 'accuracy' | 'mean_reward';

interface Estimate {
  n: number;
  value: number;
  ci95: [number, number];
  variance: number;
}

function estimate(t: VariantTotals, metric: Metric): Estimate {
  if (metric === 'accuracy') {
    const value = t.judged === 0 ? 0 : t.correct / t.judged;
    return {
      n: t.judged,
      value,
      ci95: wilsonInterval({ k: t.correct, n: t.judged }),
      variance: value * (1 - value),
    };
  }
  const n = t.rewards;
  const mean = n === 0 ? 0 : t.rewardSum / n;
  const variance = n < 2 ? 0 : (t.rewardSquares - n * mean * mean) / (n - 1);
  const half = n === 0 ? Infinity : normalQuantile(0.975) * Math.sqrt(Math.max(variance, 0) / n);
  return { n, value: mean, ci95: [mean - half, mean + half], variance: Math.max(variance, 0) };
}

export interface ExperimentReport {
  metric: Metric | null;
  variants: {
    variant: string;
    version: string;
    requests: number;
    feedback: number;
    meanLatencyMs: number | null;
    outcome: { metric: Metric; n: number; value: number; ci95: [number, number] } | null;
  }[];
  significance: (TwoProportionResult & { test: string; alpha: number; between: [string, string] }) | null;
  winner: string | null;
  /** More feedback samples per variant needed to detect the observed difference (80% power); null when none would. */
  samplesNeeded: number | null;
  verdict: string;
}

const POWER = 0.8;
const fmt = (x: number) => x.toFixed(3);

/**
 * The A/B report. Accuracy (from labels) when there is any, else mean reward. The best two variants
 * are compared: a two-sided two-proportion z-test (pooled) for accuracy, a two-sided z-test on the
 * difference of means (Welch standard error) for reward, at alpha; the sample size to detect the
 * observed difference uses the normal approximation with 80% power.
 */
export function experimentReport(totals: readonly VariantTotals[], alpha = 0.05): ExperimentReport {
  const metric: Metric | null = totals.some((t) => t.judged > 0)
    ? 'accuracy'
    : totals.some((t) => t.rewards > 0)
      ? 'mean_reward'
      : null;
  const variants = totals.map((t) => {
    const e = metric ? estimate(t, metric) : undefined;
    return {
      variant: t.variant,
      version: t.version,
      requests: t.requests,
      feedback: t.feedback,
      meanLatencyMs: t.requests === 0 ? null : (1000 * t.latencySecondsSum) / t.requests,
      outcome: e ? { metric: metric!, n: e.n, value: e.value, ci95: e.ci95 } : null,
    };
  });
  const none = { metric, variants, significance: null, winner: null, samplesNeeded: null };
  if (!metric) return { ...none, verdict: 'No winner yet: no feedback has arrived for any variant.' };
  const ranked = totals
    .map((t) => ({ t, e: estimate(t, metric) }))
    .filter((x) => x.e.n > 0)
    .sort((a, b) => b.e.value - a.e.value);
  if (ranked.length < 2) {
    return { ...none, verdict: 'No winner yet: fewer than two variants have feedback to compare.' };
  }
  const [best, second] = ranked;
  const result =
    metric === 'accuracy'
      ? twoProportionZTest({ k: best.t.correct, n: best.e.n }, { k: second.t.correct, n: second.e.n }, alpha)
      : meanDifferenceTest(
          { n: best.e.n, mean: best.e.value, variance: best.e.variance },
          { n: second.e.n, mean: second.e.value, variance: second.e.variance },
          alpha,
        );
  const test =
    metric === 'accuracy'
      ? 'two-proportion z-test (pooled, two-sided)'
      : 'z-test on the difference of means (Welch standard error, two-sided)';
  const significance = {
    ...result,
    test,
    alpha,
    between: [best.t.variant, second.t.variant] as [string, string],
  };
  const label = metric === 'accuracy' ? 'accuracy' : 'mean reward';
  const versus = `${label} ${fmt(best.e.value)} vs ${fmt(second.e.value)}`;
  if (result.significant) {
    return {
      ...none,
      significance,
      winner: best.t.variant,
      samplesNeeded: 0,
      verdict: `${best.t.variant} wins: ${versus} (${second.t.variant}), p = ${result.pValue.toPrecision(2)} < ${alpha}.`,
    };
  }
  const perArm =
    metric === 'accuracy'
      ? samplesPerArm(best.e.value, second.e.value, alpha, POWER)
      : meanSamplesPerArm(best.e.variance + second.e.variance, best.e.value - second.e.value, alpha);
  const have = Math.min(best.e.n, second.e.n);
  const samplesNeeded = Number.isFinite(perArm) ? Math.max(0, perArm - have) : null;
  const more =
    samplesNeeded === null
      ? 'the variants look equal so far, and no number of samples would separate an observed difference of 0'
      : `about ${samplesNeeded} more feedback samples per variant would detect a difference this size (power ${POWER})`;
  return {
    ...none,
    significance,
    samplesNeeded,
    verdict: `No winner yet: ${versus}, p = ${result.pValue.toPrecision(2)} (not below ${alpha}); ${more}.`,
  };
}

function meanSamplesPerArm(varianceSum: number, delta: number, alpha: number): number {
  if (delta === 0) return Infinity;
  const z = normalQuantile(1 - alpha / 2) + normalQuantile(POWER);
  return Math.ceil((z * z * varianceSum) / (delta * delta));
}
