import { errorRatioNonInferiority, ratio } from './statistics';

/**
 * One judging window's counts for one arm (stable or canary). Plain counters, so replicas can add
 * theirs into one shared window (Redis HINCRBY) and the sum is the whole fleet's.
 */
export interface ArmStats {
  requests: number;
  /** 5xx and timeouts, plus answers that came only from the fallback chain. */
  errors: number;
  /** Counts per LATENCY_BUCKETS_MS bucket, the last one open-ended. */
  latency: number[];
}

/** Upper bounds (ms) of the latency histogram; a p99 is reported as the bound of its bucket. */
export const LATENCY_BUCKETS_MS = [5, 10, 20, 35, 50, 75, 100, 150, 250, 500, 1000, 2500, 5000, 10_000];

export function emptyArm(): ArmStats {
  return { requests: 0, errors: 0, latency: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0) };
}

export function bucketOf(ms: number): number {
  const i = LATENCY_BUCKETS_MS.findIndex((upper) => ms <= upper);
  return i === -1 ? LATENCY_BUCKETS_MS.length : i;
}

export function addSample(arm: ArmStats, ms: number, failed: boolean): void {
  arm.requests++;
  if (failed) arm.errors++;
  arm.latency[bucketOf(ms)]++;
}

/** The bounds (ms) of the bucket holding the 99th percentile; the last bucket's upper bound is Infinity. */
export function p99Bucket(arm: ArmStats): [number, number] | undefined {
  const total = arm.latency.reduce((s, c) => s + c, 0);
  if (total === 0) return undefined;
  const rank = Math.ceil(total * 0.99);
  let seen = 0;
  let i = 0;
  while (i < arm.latency.length - 1 && (seen += arm.latency[i]) < rank) i++;
  return [LATENCY_BUCKETS_MS[i - 1] ?? 0, LATENCY_BUCKETS_MS[i] ?? Infinity];
}

export function p99Ms(arm: ArmStats): number | undefined {
  return p99Bucket(arm)?.[1];
}

export interface JudgePolicy {
  minRequests: number;
  /** Non-inferiority margin on the error ratio difference (canary − stable). */
  errorMargin: number;
  alpha: number;
  checks: {
    errorRatio: boolean;
    latency: boolean;
    drift: boolean;
    confidenceShift: boolean;
    shadowAgreement: boolean;
  };
  /** The model's sla.p99_latency_ms; the latency check is off without it. */
  p99LatencyMs?: number;
  /** PSI above which the canary's drift score fails the window; the drift check is off without it. */
  driftThreshold?: number;
  /** PSI above which the canary's confidence shift fails the window; the check is off without it. */
  confidenceShiftThreshold?: number;
  /** Share of compared shadow rows the canary must agree on with stable. */
  minShadowAgreement: number;
  /** Compared shadow rows needed before the agreement is judged at all. */
  minShadowRows: number;
}

/**
 * What is known about the canary besides its own answers, read when a window is judged. Each
 * signal belongs to one optional check; a new signal is one more field here, one more flag in
 * JudgePolicy.checks and one more entry in SIGNAL_CHECKS.
 */
export interface CanarySignals {
  /** The canary version's latest drift PSI (drift/version-scores.ts); undefined until a drift window closes. */
  driftScore?: number;
  /**
   * The canary version's latest PSI of its top-1 confidence against the held-out profile
   * (quality/quality-observer.ts); undefined until a quality window closes.
   */
  confidenceShift?: number;
  /** Rows the canary, shadowing stable, was compared on and agreed on (traffic/shadow-agreement.ts). */
  shadow?: { rows: number; agreed: number };
}

export type CheckName = 'error_ratio' | 'latency' | 'drift' | 'confidence_shift' | 'shadow_agreement';

export interface CheckResult {
  check: CheckName;
  passed: boolean;
  /**
   * False when the check had no evidence (no score yet, too few shadow rows) and passed for want of
   * it: the controller promotes only once every switched-on check has judged (controller.ts).
   */
  judged: boolean;
  detail: string;
}

export interface WindowReport {
  window: number;
  verdict: 'healthy' | 'unhealthy' | 'insufficient';
  stable: { requests: number; errors: number; errorRatio: number; p99Ms?: number };
  canary: { requests: number; errors: number; errorRatio: number; p99Ms?: number };
  checks: CheckResult[];
}

const summary = (arm: ArmStats) => ({
  requests: arm.requests,
  errors: arm.errors,
  errorRatio: ratio({ k: arm.errors, n: arm.requests }),
  p99Ms: p99Ms(arm),
});

/**
 * Judges one window: the canary against stable on the same traffic. `baseline` stands in for the
 * stable arm when the window has too few stable requests (at 100% canary weight stable gets none):
 * stable's counts accumulated earlier in this rollout.
 */
export function judgeWindow(
  window: number,
  stable: ArmStats,
  canary: ArmStats,
  baseline: { requests: number; errors: number },
  policy: JudgePolicy,
  signals: CanarySignals = {},
): WindowReport {
  const report = { window, stable: summary(stable), canary: summary(canary) };
  if (canary.requests < policy.minRequests) {
    return {
      ...report,
      verdict: 'insufficient',
      checks: [],
    };
  }
  const checks: CheckResult[] = [];
  if (policy.checks.errorRatio) {
    const reference =
      stable.requests >= policy.minRequests
        ? { k: stable.errors, n: stable.requests }
        : { k: baseline.errors, n: baseline.requests };
    const test = errorRatioNonInferiority(
      { k: canary.errors, n: canary.requests },
      reference,
      policy.errorMargin,
      policy.alpha,
    );
    checks.push({
      check: 'error_ratio',
      passed: !test.worse,
      judged: true,
      detail:
        `canary ${canary.errors}/${canary.requests} vs stable ${reference.k}/${reference.n}: ` +
        `difference ${test.difference.toFixed(4)}, z ${test.z.toFixed(2)}, p ${test.pValue.toFixed(4)} ` +
        `(H0: difference <= ${policy.errorMargin}, alpha ${policy.alpha})`,
    });
  }
  if (policy.checks.latency && policy.p99LatencyMs !== undefined) {
    // Fails only when the whole bucket holding the p99 lies above the SLA: a coarse bucket never
    // rolls back a canary that may be within it.
    const [lower, upper] = p99Bucket(canary) ?? [0, 0];
    checks.push({
      check: 'latency',
      passed: lower < policy.p99LatencyMs,
      judged: true,
      detail: `canary p99 in (${lower}, ${upper}] ms against the SLA p99 of ${policy.p99LatencyMs} ms`,
    });
  }
  for (const check of SIGNAL_CHECKS) {
    const result = check.run(signals, policy);
    if (result) checks.push(result);
  }
  return { ...report, verdict: checks.every((c) => c.passed) ? 'healthy' : 'unhealthy', checks };
}

/**
 * A PSI signal against its threshold: fails only above it. No score yet (no window of the
 * canary's rows has closed) is no evidence: it passes unjudged, saying so.
 */
function psiCheck(
  check: 'drift' | 'confidence_shift',
  score: number | undefined,
  threshold: number,
  what: { score: string; window: string },
): CheckResult {
  return {
    check,
    passed: score === undefined || score <= threshold,
    judged: score !== undefined,
    detail:
      score === undefined
        ? `no complete ${what.window} yet (threshold PSI ${threshold})`
        : `canary ${what.score} PSI ${score.toFixed(4)} against the threshold ${threshold}`,
  };
}

/** The drift check: the canary's latest input PSI against the threshold. */
export function driftCheck(signals: CanarySignals, policy: JudgePolicy): CheckResult | undefined {
  if (!policy.checks.drift || policy.driftThreshold === undefined) return undefined;
  return psiCheck('drift', signals.driftScore, policy.driftThreshold, {
    score: 'drift',
    window: "drift window of the canary's inputs",
  });
}

/** The confidence shift check: the canary's latest top-1 confidence PSI against the threshold. */
export function confidenceShiftCheck(signals: CanarySignals, policy: JudgePolicy): CheckResult | undefined {
  if (!policy.checks.confidenceShift || policy.confidenceShiftThreshold === undefined) return undefined;
  return psiCheck('confidence_shift', signals.confidenceShift, policy.confidenceShiftThreshold, {
    score: 'confidence shift',
    window: "quality window of the canary's answers",
  });
}

/** The shadow agreement check: judged only once enough rows were compared, else it passes unjudged. */
export function shadowAgreementCheck(signals: CanarySignals, policy: JudgePolicy): CheckResult | undefined {
  if (!policy.checks.shadowAgreement) return undefined;
  if (!signals.shadow) {
    return {
      check: 'shadow_agreement',
      passed: true,
      judged: false,
      detail: 'the canary is not the shadow version: nothing compared',
    };
  }
  const { rows, agreed } = signals.shadow;
  if (rows < policy.minShadowRows) {
    return {
      check: 'shadow_agreement',
      passed: true,
      judged: false,
      detail: `${rows} shadow row(s) compared, ${policy.minShadowRows} needed before the agreement is judged`,
    };
  }
  const share = agreed / rows;
  return {
    check: 'shadow_agreement',
    passed: share >= policy.minShadowAgreement,
    judged: true,
    detail: `canary agreed with stable on ${agreed}/${rows} shadow rows (${share.toFixed(4)}), minimum ${policy.minShadowAgreement}`,
  };
}

interface SignalCheck {
  name: CheckName;
  run: (signals: CanarySignals, policy: JudgePolicy) => CheckResult | undefined;
  /**
   * Its evidence comes from stable's traffic (shadow copies of stable's requests), so none arrives
   * at a step where stable serves nothing: the controller steps into such a step only once the
   * check has judged (controller.ts). The PSI checks read the canary's own traffic and need none.
   */
  needsStableTraffic: boolean;
}

/** The optional checks on CanarySignals, in report order. */
const SIGNAL_CHECKS: readonly SignalCheck[] = [
  { name: 'drift', run: driftCheck, needsStableTraffic: false },
  { name: 'confidence_shift', run: confidenceShiftCheck, needsStableTraffic: false },
  { name: 'shadow_agreement', run: shadowAgreementCheck, needsStableTraffic: true },
];

/** Whether `check` gathers no evidence while stable serves nothing (see SignalCheck). */
export const needsStableTraffic = (check: CheckName): boolean =>
  SIGNAL_CHECKS.some((c) => c.name === check && c.needsStableTraffic);
