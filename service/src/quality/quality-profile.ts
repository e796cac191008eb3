import { binIndex, type FeatureProfile, type ReferenceProfile } from '../drift/psi';

/**
 * A classifier's outputs as rows a DriftMonitor can score against a reference: per input row, its
 * top-1 score (the confidence) and its predicted class. Pure; the reference profile of held-out
 * data (quality-profile.json) is built from the same rows, so that both sides bin alike.
 */

/** Upper bounds of the confidence histogram, fixed so that dashboards compare across versions. */
export const CONFIDENCE_BUCKETS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];

/** Predicted classes are a metric label: more classes than this are not a bounded label set. */
export const MAX_CLASSES = 100;

export const CONFIDENCE_FEATURE = 'confidence';
export const CLASS_FEATURE = 'predicted_class';

/**
 * Flat [top-1 score, predicted class] pairs for `scores` laid out [rows, classes], written into
 * `into` when it has exactly that length (a caller's scratch array), else into a new array.
 */
export function qualityRows(scores: ArrayLike<number>, classes: number, into?: Float64Array): Float64Array {
  const rows = Math.floor(scores.length / classes);
  const out = into?.length === rows * 2 ? into : new Float64Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let top = Number(scores[r * classes]);
    for (let c = 1; c < classes; c++) {
      const s = Number(scores[r * classes + c]);
      if (s > top) {
        top = s;
        best = c;
      }
    }
    out[r * 2] = top;
    out[r * 2 + 1] = best;
  }
  return out;
}

/** Bin edges that put each class 0..classes-1 in a bin of its own. */
export function classEdges(classes: number): number[] {
  return Array.from({ length: classes - 1 }, (_, i) => i + 0.5);
}

/** The reference profile of a version's held-out scores (the `input` it names is the scores output). */
export function buildQualityProfile(
  output: string,
  scores: ArrayLike<number>,
  classes: number,
): ReferenceProfile {
  if (classes < 2 || classes > MAX_CLASSES)
    throw new Error(
      `scores output '${output}' has ${classes} classes; from 2 to ${MAX_CLASSES} are supported`,
    );
  const rows = qualityRows(scores, classes);
  const n = rows.length / 2;
  if (n === 0) throw new Error('no held-out rows to profile');
  const feature = (name: string, edges: number[], column: number): FeatureProfile => {
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (let r = 0; r < n; r++) counts[binIndex(edges, rows[r * 2 + column])]++;
    return { name, edges, expected: counts.map((c) => Number((c / n).toFixed(6))) };
  };
  return {
    input: output,
    features: [
      feature(CONFIDENCE_FEATURE, CONFIDENCE_BUCKETS, 0),
      feature(CLASS_FEATURE, classEdges(classes), 1),
    ],
  };
}
