import { createRegistry } from '../src/observability/metrics';
import { describeGcPauses, gcPausesBetween, mergeGcPauses } from '../bench/gc-pauses';

const histogram = (kind: string, buckets: [string, number][], sum: number) =>
  [
    ...buckets.map(([le, n]) => `nodejs_gc_duration_seconds_bucket{le="${le}",kind="${kind}"} ${n}`),
    `nodejs_gc_duration_seconds_sum{kind="${kind}"} ${sum}`,
    `nodejs_gc_duration_seconds_count{kind="${kind}"} ${buckets[buckets.length - 1][1]}`,
  ].join('\n');

describe('gcPausesBetween (the bench GC reading)', () => {
  it('takes one run’s pauses by kind from two /metrics readings', () => {
    // One major pause before the run and none during it; eight minor ones during it.
    const major = histogram(
      'major',
      [
        ['0.001', 0],
        ['0.002', 0],
        ['0.005', 1],
        ['+Inf', 1],
      ],
      0.004,
    );
    const minor = (counts: number[], sum: number) =>
      histogram(
        'minor',
        ['0.001', '0.002', '0.005', '+Inf'].map((le, i): [string, number] => [le, counts[i]]),
        sum,
      );
    const before = `${minor([10, 12, 12, 12], 0.011)}\n${major}`;
    const after = `${minor([14, 19, 20, 20], 0.023)}\n${major}`;
    const pauses = gcPausesBetween(before, after);
    expect(pauses).toHaveLength(1);
    expect(pauses[0].kind).toBe('minor');
    expect(pauses[0].count).toBe(8);
    expect(pauses[0].totalMs).toBeCloseTo(12, 6);
    // 4 of the 8 within 1 ms, 7 within 2 ms, all 8 within 5 ms.
    expect(pauses[0].over1Ms).toBe(4);
    expect(pauses[0].longestAtMostMs).toBe(5);
    expect(describeGcPauses(pauses)).toBe('minor 8 pauses, 12.0 ms in all, longest <= 5 ms (4 over 1 ms)');
  });

  it('says so when a run had no pause, and counts a first reading from nothing', () => {
    const text = histogram(
      'minor',
      [
        ['0.001', 3],
        ['+Inf', 3],
      ],
      0.002,
    );
    expect(describeGcPauses(gcPausesBetween(text, text))).toBe('no GC pause');
    expect(gcPausesBetween('', text)[0]).toMatchObject({ kind: 'minor', count: 3, over1Ms: 0 });
  });

  it('adds several runs up by kind, keeping the longest pause', () => {
    const merged = mergeGcPauses([
      [{ kind: 'minor', count: 3, totalMs: 2.5, longestAtMostMs: 1, over1Ms: 0 }],
      [
        { kind: 'major', count: 1, totalMs: 6, longestAtMostMs: 10, over1Ms: 1 },
        { kind: 'minor', count: 2, totalMs: 3, longestAtMostMs: 2, over1Ms: 1 },
      ],
    ]);
    expect(merged).toEqual([
      { kind: 'major', count: 1, totalMs: 6, longestAtMostMs: 10, over1Ms: 1 },
      { kind: 'minor', count: 5, totalMs: 5.5, longestAtMostMs: 2, over1Ms: 1 },
    ]);
  });

  it("reads the service registry's own GC histogram after real collections", async () => {
    const registry = createRegistry();
    const before = await registry.metrics();
    // Enough short-lived garbage for several young-generation collections.
    let keep = 0;
    for (let i = 0; i < 200_000; i++) keep += new Array(64).fill(i).length;
    expect(keep).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const minor = gcPausesBetween(before, await registry.metrics()).find((p) => p.kind === 'minor');
    expect(minor?.count).toBeGreaterThan(0);
    expect(minor!.totalMs).toBeGreaterThan(0);
    expect(minor!.longestAtMostMs).toBeGreaterThanOrEqual(minor!.totalMs / minor!.count);
  });
});
