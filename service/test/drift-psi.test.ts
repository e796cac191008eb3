import { binIndex, DriftMonitor, psi, validateProfile, type ReferenceProfile } from '../src/drift/psi';

/** Two features, each split at 0 into two equally likely bins. */
const profile: ReferenceProfile = {
  input: 'input',
  features: [
    { name: 'a', edges: [0], expected: [0.5, 0.5] },
    { name: 'b', edges: [0], expected: [0.5, 0.5] },
  ],
};

describe('drift statistics', () => {
  it('bins values by their edges', () => {
    expect(binIndex([0, 10], -1)).toBe(0);
    expect(binIndex([0, 10], 0)).toBe(1);
    expect(binIndex([0, 10], 5)).toBe(1);
    expect(binIndex([0, 10], 10)).toBe(2);
  });

  it('gives PSI 0 for identical distributions and grows with the shift', () => {
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBe(0);
    const small = psi([0.5, 0.5], [0.6, 0.4]);
    const large = psi([0.5, 0.5], [0.95, 0.05]);
    expect(small).toBeCloseTo(0.0405, 3);
    expect(large).toBeGreaterThan(0.25);
    expect(large).toBeGreaterThan(small);
  });

  it('stays finite when a bin is empty', () => {
    expect(Number.isFinite(psi([0.5, 0.5], [1, 0]))).toBe(true);
  });

  it('scores only complete windows and flags the drifting feature', () => {
    const monitor = new DriftMonitor(profile, 100);
    const rows: number[] = [];
    for (let i = 0; i < 99; i++) rows.push(i % 2 === 0 ? -1 : 1, 5);
    monitor.observe(rows);
    expect(monitor.score()).toBeUndefined();
    monitor.observe([1, 5]);
    const [a, b] = monitor.scores()!;
    expect(a).toBeLessThan(0.01);
    expect(b).toBeGreaterThan(1);
    expect(monitor.score()).toBe(b);
  });

  it('bins each feature by its own edges, as binIndex does, in rows wider than the profile', () => {
    // Features with 1, 3 and 0 edges (2, 4 and 1 bins), rows of 4 values whose last is not
    // monitored: a bin counted under the wrong feature or offset changes some feature's PSI.
    const uneven: ReferenceProfile = {
      input: 'input',
      features: [
        { name: 'a', edges: [0], expected: [0.3, 0.7] },
        { name: 'b', edges: [-1, 0, 2.5], expected: [0.1, 0.2, 0.3, 0.4] },
        { name: 'c', edges: [], expected: [1] },
      ],
    };
    const rows = 97;
    const monitor = new DriftMonitor(uneven, rows);
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 8 - 4;
    const values = new Float32Array(rows * 4).map(next);
    // Values on the edges themselves go to the bin above, as binIndex puts them.
    values.set([0, -1, 5, 9, 2.5, 2.5, 0, 9], 0);
    expect(monitor.observe(values.subarray(0, 40), 4)).toBe(false);
    expect(monitor.observe(values.subarray(40), 4)).toBe(true);
    const expected = uneven.features.map((f, i) => {
      const counts = new Array<number>(f.edges.length + 1).fill(0);
      for (let r = 0; r < rows; r++) counts[binIndex(f.edges, values[r * 4 + i])]++;
      return psi(
        f.expected,
        counts.map((c) => c / rows),
      );
    });
    expect(monitor.scores()).toEqual(expected);
    expect(expected[0]).not.toEqual(expected[1]);
    // The window starts over: the next row alone does not close it.
    expect(monitor.observe([1, 1, 1, 1], 4)).toBe(false);
  });

  it('rejects a malformed profile with the feature and the problem', () => {
    expect(validateProfile(profile)).toBeUndefined();
    expect(validateProfile({ input: 'x', features: [{ name: 'f', edges: [0, 1], expected: [1] }] })).toMatch(
      /feature 'f': expected 3 proportions/,
    );
    expect(
      validateProfile({ input: 'x', features: [{ name: 'f', edges: [0], expected: [0.2, 0.2] }] }),
    ).toMatch(/sum to 0.4/);
  });
});
