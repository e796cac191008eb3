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

/**
 * The bin of `x` among ascending `edges`: the number of edges at or below it. With `lo` and `hi`,
 * among edges[lo..hi) of a longer array, counted from 0 at `lo` plus `lo`.
 */
export function binIndex(edges: ArrayLike<number>, x: number, lo = 0, hi = edges.length): number {
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
 *
 * Every feature's edges sit in one Float64Array and its counts in another, at per-feature offsets:
 * each row is binned with typed-array reads only, where the profile's nested JSON arrays cost a
 * property load and an array load per feature (the classifier bins 30 features per request).
 */
export class DriftMonitor {
  /** All features' edges, feature after feature; feature f's are [edgeStart[f], edgeStart[f + 1]). */
  private readonly edges: Float64Array;
  private readonly edgeStart: Int32Array;
  /** All features' bin counts; feature f's k edges count into k + 1 bins from edgeStart[f] + f. */
  private readonly counts: Float64Array;
  private rows = 0;
  private lastScores: number[] | undefined;

  constructor(
    readonly profile: ReferenceProfile,
    readonly windowRows: number,
  ) {
    const features = profile.features;
    this.edgeStart = new Int32Array(features.length + 1);
    for (let f = 0; f < features.length; f++)
      this.edgeStart[f + 1] = this.edgeStart[f] + features[f].edges.length;
    this.edges = new Float64Array(features.flatMap((f) => f.edges));
    this.counts = new Float64Array(this.edges.length + features.length);
  }

  /** Adds rows laid out flat, `features` values per row; true when a window closed (the score changed). */
  observe(values: ArrayLike<number>, features = this.profile.features.length): boolean {
    const n = Math.floor(values.length / features);
    const { edges, edgeStart, counts } = this;
    const monitored = edgeStart.length - 1;
    let closed = false;
    for (let r = 0; r < n; r++) {
      const row = r * features;
      for (let f = 0; f < monitored; f++) {
        counts[binIndex(edges, Number(values[row + f]), edgeStart[f], edgeStart[f + 1]) + f]++;
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

  /** Feature f's bin counts (a view). */
  private countsOf(f: number): Float64Array {
    return this.counts.subarray(this.edgeStart[f] + f, this.edgeStart[f + 1] + f + 1);
  }

  private closeWindow(): void {
    this.lastScores = this.profile.features.map((f, i) =>
      psi(
        f.expected,
        Array.from(this.countsOf(i), (c) => c / this.rows),
      ),
    );
    this.counts.fill(0);
    this.rows = 0;
  }
}
