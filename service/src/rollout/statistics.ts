/**
 * The statistics the rollout controller and the experiment report rely on. Pure functions of counts,
 * so every replica reaches the same verdict from the same (shared) window counts.
 */

/** Standard normal CDF, via the Abramowitz–Stegun 7.1.26 erf approximation (|error| < 1.5e-7). */
export function normalCdf(z: number): number {
  if (z === Infinity) return 1;
  if (z === -Infinity) return 0;
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Inverse of normalCdf (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

export interface Proportion {
  /** Events (errors, correct answers). */
  k: number;
  n: number;
}

export interface NonInferiorityResult {
  /** Observed p_canary − p_stable. */
  difference: number;
  /** One-sided z of H0: p_canary − p_stable ≤ margin. */
  z: number;
  /** P-value of that H0; small means the canary is worse than stable by more than the margin. */
  pValue: number;
  /** True when H0 is rejected at alpha: the canary's error ratio is significantly worse. */
  worse: boolean;
}

/**
 * One-sided non-inferiority test of the canary's error ratio against stable's, with the
 * Agresti–Caffo adjustment (one error and one success added to each arm) so that windows with no
 * errors at all still have a finite standard error. H0: p_canary − p_stable ≤ margin; the canary
 * fails when H0 is rejected at `alpha`.
 */
export function errorRatioNonInferiority(
  canary: Proportion,
  stable: Proportion,
  margin: number,
  alpha: number,
): NonInferiorityResult {
  const pc = (canary.k + 1) / (canary.n + 2);
  const ps = (stable.k + 1) / (stable.n + 2);
  const se = Math.sqrt((pc * (1 - pc)) / (canary.n + 2) + (ps * (1 - ps)) / (stable.n + 2));
  const z = (pc - ps - margin) / se;
  const pValue = 1 - normalCdf(z);
  const difference = ratio(canary) - ratio(stable);
  return { difference, z, pValue, worse: pValue < alpha };
}

export function ratio(p: Proportion): number {
  return p.n === 0 ? 0 : p.k / p.n;
}

/** Wilson score interval of a proportion at confidence 1 − alpha. */
export function wilsonInterval(p: Proportion, alpha = 0.05): [number, number] {
  if (p.n === 0) return [0, 1];
  const z = normalQuantile(1 - alpha / 2);
  const phat = p.k / p.n;
  const denom = 1 + (z * z) / p.n;
  const centre = (phat + (z * z) / (2 * p.n)) / denom;
  const half = (z * Math.sqrt((phat * (1 - phat)) / p.n + (z * z) / (4 * p.n * p.n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export interface TwoProportionResult {
  difference: number;
  z: number;
  /** Two-sided p-value. */
  pValue: number;
  significant: boolean;
}

/** Two-sided two-proportion z-test with the pooled standard error. */
export function twoProportionZTest(a: Proportion, b: Proportion, alpha = 0.05): TwoProportionResult {
  const difference = ratio(a) - ratio(b);
  const pooled = (a.k + b.k) / (a.n + b.n || 1);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / (a.n || 1) + 1 / (b.n || 1)));
  if (a.n === 0 || b.n === 0 || se === 0) return { difference, z: 0, pValue: 1, significant: false };
  const z = difference / se;
  const pValue = 2 * (1 - normalCdf(Math.abs(z)));
  return { difference, z, pValue, significant: pValue < alpha };
}

/**
 * Samples per arm for a two-sided two-proportion z-test at `alpha` to detect the difference
 * between p1 and p2 with `power` (the normal-approximation formula). Infinity when they are equal.
 */
export function samplesPerArm(p1: number, p2: number, alpha = 0.05, power = 0.8): number {
  const delta = Math.abs(p1 - p2);
  if (delta === 0) return Infinity;
  const za = normalQuantile(1 - alpha / 2);
  const zb = normalQuantile(power);
  const pbar = (p1 + p2) / 2;
  const num = za * Math.sqrt(2 * pbar * (1 - pbar)) + zb * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  return Math.ceil((num * num) / (delta * delta));
}

/** Welch's two-sample z-test (large samples) on means, for continuous outcomes such as a reward. */
export function meanDifferenceTest(
  a: { n: number; mean: number; variance: number },
  b: { n: number; mean: number; variance: number },
  alpha = 0.05,
): TwoProportionResult {
  const difference = a.mean - b.mean;
  const se = Math.sqrt(a.variance / (a.n || 1) + b.variance / (b.n || 1));
  if (a.n < 2 || b.n < 2 || se === 0) return { difference, z: 0, pValue: 1, significant: false };
  const z = difference / se;
  const pValue = 2 * (1 - normalCdf(Math.abs(z)));
  return { difference, z, pValue, significant: pValue < alpha };
}
