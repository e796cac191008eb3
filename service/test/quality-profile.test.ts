import { psi } from '../src/drift/psi';
import {
  buildQualityProfile,
  classEdges,
  CONFIDENCE_BUCKETS,
  qualityRows,
} from '../src/quality/quality-profile';

describe('quality profile', () => {
  it('turns [rows, classes] scores into top-1 score and predicted class pairs', () => {
    const scores = Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.25, 0.25, 0.05, 0.05, 0.9]);
    expect(Array.from(qualityRows(scores, 3), (x) => Number(x.toFixed(4)))).toEqual([0.7, 1, 0.5, 0, 0.9, 2]);
  });

  it('writes the pairs into a scratch array of the right length, and only into one', () => {
    const scores = Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.25, 0.25]);
    const scratch = new Float64Array(4).fill(-1);
    expect(qualityRows(scores, 3, scratch)).toBe(scratch);
    expect(Array.from(scratch, (x) => Number(x.toFixed(4)))).toEqual([0.7, 1, 0.5, 0]);
    const short = new Float64Array(2);
    const out = qualityRows(scores, 3, short);
    expect(out).not.toBe(short);
    expect(Array.from(short)).toEqual([0, 0]);
    expect(Array.from(out, (x) => Number(x.toFixed(4)))).toEqual([0.7, 1, 0.5, 0]);
  });

  it('bins the held-out scores by confidence bucket and class', () => {
    // Four rows: confidences 0.55, 0.95, 0.97 and 0.999; classes 0, 1, 1, 0.
    const scores = [0.55, 0.45, 0.05, 0.95, 0.03, 0.97, 0.999, 0.001];
    const profile = buildQualityProfile('probabilities', scores, 2);
    expect(profile.input).toBe('probabilities');
    const [confidence, classes] = profile.features;
    expect(confidence.edges).toEqual(CONFIDENCE_BUCKETS);
    // 0.55 in (0.5, 0.6]; 0.95 and 0.97 in [0.95, 0.99); 0.999 above the last edge.
    const expected = new Array<number>(CONFIDENCE_BUCKETS.length + 1).fill(0);
    expected[4] = 0.25;
    expected[9] = 0.5;
    expected[10] = 0.25;
    expect(confidence.expected).toEqual(expected);
    expect(classes.edges).toEqual(classEdges(2));
    expect(classes.expected).toEqual([0.5, 0.5]);
    expect(psi(classes.expected, [0.5, 0.5])).toBeCloseTo(0, 9);
  });

  it('refuses a scores output that is not a bounded set of classes', () => {
    expect(() => buildQualityProfile('score', [0.3, 0.8], 1)).toThrow(/1 classes; from 2 to 100/);
    expect(() => buildQualityProfile('probabilities', [], 2)).toThrow(/no held-out rows/);
  });
});
