/**
 * Input drift as the Population Stability Index per feature against a reference profile recorded at
 * training time. PSI < 0.1 is usually read as stable, 0.1-0.25 as a moderate shift, > 0.25 as drift.
 * Pure: the service feeds rows in and reads scores out.
 */

export interface FeatureProfile {
  name: string;
  /** Ascending inner bin edges; k edges make k + 1 bins. */
  edges: number[];
  /** Share of training rows per bin (k + 1 values summing to 1). */
  expected: number[];
}

export interface ReferenceProfile {
  /** The model input the profile describes; its rows are [batch, features]. */
  input: string;
  features: FeatureProfile[];
}

/** Keeps empty bins from producing infinite terms. */
const EPSILON = 1e-4;

export function binIndex(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function psi(expected: readonly number[], actual: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i], EPSILON);
    const a = Math.max(actual[i], EPSILON);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

export function validateProfile(profile: ReferenceProfile): string | undefined {
  for (const f of profile.features) {
    if (f.expected.length !== f.edges.length + 1) {
      return `feature '${f.name}': expected ${f.edges.length + 1} proportions for ${f.edges.length} edges, got ${f.expected.length}`;
    }
    if (f.edges.some((e, i) => i > 0 && e < f.edges[i - 1])) return `feature '${f.name}': edges must ascend`;
    const sum = f.expected.reduce((s, p) => s + p, 0);
    if (Math.abs(sum - 1) > 1e-3) return `feature '${f.name}': proportions sum to ${sum}, not 1`;
  }
  return undefined;
}

/**
 * Tumbling windows of `windowRows` rows: the score covers the last complete window, so a burst of
 * unusual rows shows up within one window and a single odd row cannot swing it.
 */
export class DriftMonitor {
  private counts: Float64Array[];
  private rows = 0;
  private lastScores: number[] | undefined;

  constructor(
    readonly profile: ReferenceProfile,
    readonly windowRows: number,
  ) {
    this.counts = profile.features.map((f) => new Float64Array(f.edges.length + 1));
  }

  /** Adds rows laid out flat, `features` values per row; true when a window closed (the score changed). */
  observe(values: ArrayLike<number>, features = this.profile.features.length): boolean {
    const n = Math.floor(values.length / features);
    let closed = false;
    for (let r = 0; r < n; r++) {
      for (let f = 0; f < this.counts.length; f++) {
        const x = Number(values[r * features + f]);
        this.counts[f][binIndex(this.profile.features[f].edges, x)]++;
      }
      if (++this.rows >= this.windowRows) {
        this.closeWindow();
        closed = true;
      }
    }
    return closed;
  }

  /** PSI per feature for the last complete window, or undefined before the first one closes. */
  scores(): number[] | undefined {
    return this.lastScores;
  }

  /** The largest per-feature PSI: one drifting feature is enough to act on. */
  score(): number | undefined {
    return this.lastScores && Math.max(...this.lastScores);
  }

  private closeWindow(): void {
    this.lastScores = this.profile.features.map((f, i) =>
      psi(
        f.expected,
        Array.from(this.counts[i], (c) => c / this.rows),
      ),
    );
    for (const c of this.counts) c.fill(0);
    this.rows = 0;
  }
}
