import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadStackConfig } from '@ml-platform/stack-config';
import { evaluateThresholds, metricsFromK6Summary } from '../src/evaluate';
import { localMetrics, type StepSamples } from '../src/local/results';
import { buildScenario } from '../src/scenarios';
import { parseThreshold, type ThresholdSet } from '../src/thresholds';
import { trendStats } from '../src/trend';

const fixture = (name: string): unknown =>
  JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8')) as unknown;

const staging = loadStackConfig('staging').sla;

/** The pass/fail k6 itself recorded per threshold in a handleSummary `data` object. */
function k6RecordedVerdicts(summary: unknown): Record<string, Record<string, boolean>> {
  const metrics = (summary as { metrics: Record<string, { thresholds?: Record<string, { ok: boolean }> }> })
    .metrics;
  const out: Record<string, Record<string, boolean>> = {};
  for (const [name, entry] of Object.entries(metrics)) {
    if (entry.thresholds)
      out[name] = Object.fromEntries(Object.entries(entry.thresholds).map(([e, r]) => [e, r.ok]));
  }
  return out;
}

describe('threshold expressions', () => {
  it('parses k6 expressions and normalises percentile spelling', () => {
    expect(parseThreshold('p(99.90) < 300')).toEqual({ stat: 'p(99.9)', op: '<', value: 300 });
    expect(parseThreshold('rate>=0.995')).toEqual({ stat: 'rate', op: '>=', value: 0.995 });
    expect(parseThreshold('count==0')).toEqual({ stat: 'count', op: '==', value: 0 });
  });

  it('rejects what k6 would reject, naming the expression and the grammar', () => {
    expect(() => parseThreshold('p95<50')).toThrow(/threshold "p95<50" is not "<stat> <op> <number>"/);
    expect(() => parseThreshold('rate<')).toThrow(SyntaxError);
  });
});

describe('evaluating a recorded k6 handleSummary() data object', () => {
  const data = fixture('k6-handle-summary.staging-smoke.json');
  const def = buildScenario(staging, 'smoke');

  it('reads trend, rate and counter statistics from `values`', () => {
    const m = metricsFromK6Summary(data);
    expect(m.http_req_duration['p(99)']).toBeCloseTo(112.402811, 6);
    expect(m.http_req_failed).toMatchObject({ rate: 0, passes: 0, fails: 150 });
    expect(m.http_reqs.count).toBe(150);
  });

  it('reaches the same verdict per threshold as k6 recorded for that run', () => {
    const verdict = evaluateThresholds(def.thresholds, metricsFromK6Summary(data));
    const recorded = k6RecordedVerdicts(data);
    expect(verdict.results).toHaveLength(6);
    for (const r of verdict.results) expect(r.ok).toBe(recorded[r.metric][r.expression]);
    expect(verdict.passed).toBe(false);
    expect(verdict.results.filter((r) => !r.ok).map((r) => r.expression)).toEqual([
      `p(99)<=${staging.p99LatencyMs}`,
    ]);
    expect(verdict.grossBreach).toBe(false);
  });
});

describe('evaluating a recorded `k6 run --summary-export` file', () => {
  const data = fixture('k6-summary-export.staging-stress.json');

  it('reads inline statistics and takes a Rate metric`s `value` as its rate', () => {
    const m = metricsFromK6Summary(data);
    expect(m.http_req_failed.rate).toBeCloseTo(1130 / 72000, 12);
    expect(m.checks.rate).toBeCloseTo(141740 / 144000, 12);
    expect(m.dropped_iterations.count).toBe(118);
  });

  it('fails the stress run on latency, error rate and checks and flags the gross latency breach', () => {
    const verdict = evaluateThresholds(
      buildScenario(staging, 'stress').thresholds,
      metricsFromK6Summary(data),
    );
    // summary-export records `true` for a breached threshold (k6 issue #1498), the inverse of handleSummary's ok.
    const exportFlags = (data as { metrics: Record<string, { thresholds?: Record<string, boolean> }> })
      .metrics;
    for (const r of verdict.results) expect(r.ok).toBe(!exportFlags[r.metric].thresholds?.[r.expression]);
    expect(verdict.grossBreach).toBe(true);
    expect(verdict.passed).toBe(false);
  });

  it('rejects something that is not a k6 summary', () => {
    expect(() => metricsFromK6Summary({ root_group: {} })).toThrow('not a k6 summary');
  });
});

describe('evaluating local results', () => {
  const step = (over: Partial<StepSamples>): StepSamples => ({
    targetRps: 10,
    plannedSec: 2,
    elapsedSec: 2,
    latenciesMs: [],
    failedResponses: 0,
    networkErrors: 0,
    checkPasses: 0,
    checkFails: 0,
    ...over,
  });
  const thresholds: ThresholdSet = buildScenario(staging, 'load').thresholds;
  const stats = trendStats(thresholds);

  it('passes when latencies and errors are inside the SLA', () => {
    const latencies = Array.from({ length: 20 }, (_, i) => 5 + i); // 5..24 ms
    const m = localMetrics([step({ latenciesMs: latencies, checkPasses: 40 })], stats);
    expect(m.http_req_duration.max).toBe(24);
    expect(m.http_req_duration['p(95)']).toBeCloseTo(23.05, 10);
    expect(m.http_reqs).toEqual({ count: 20, rate: 10 });
    expect(m.dropped_iterations.count).toBe(0);
    expect(evaluateThresholds(thresholds, m).passed).toBe(true);
  });

  it('counts failed statuses and network errors in http_req_failed and fails the error threshold', () => {
    const m = localMetrics(
      [
        step({
          latenciesMs: Array(18).fill(5),
          failedResponses: 1,
          networkErrors: 2,
          checkPasses: 34,
          checkFails: 6,
        }),
      ],
      stats,
    );
    expect(m.http_req_failed).toEqual({ rate: 3 / 20, passes: 3, fails: 17 });
    const v = evaluateThresholds(thresholds, m);
    expect(v.results.find((r) => r.metric === 'http_req_failed' && !r.abortOnFail)?.ok).toBe(false);
    expect(v.grossBreach).toBe(true);
  });

  it('fails every latency threshold, with a reason, when no response came back', () => {
    const v = evaluateThresholds(
      thresholds,
      localMetrics([step({ networkErrors: 20, checkFails: 40 })], stats),
    );
    const latency = v.results.filter((r) => r.metric === 'http_req_duration');
    expect(
      latency.every(
        (r) => !r.ok && r.actual === null && r.reason === 'metric http_req_duration has no samples',
      ),
    ).toBe(true);
  });

  it('reports the shortfall against the target rate as dropped_iterations', () => {
    const m = localMetrics([step({ latenciesMs: Array(12).fill(5), checkPasses: 24 })], stats);
    expect(m.dropped_iterations.count).toBe(8);
  });

  it('names a statistic missing from a summary instead of passing silently', () => {
    const v = evaluateThresholds(
      { http_req_duration: [{ expression: 'p(99.99)<10', abortOnFail: false }] },
      {
        http_req_duration: { 'p(95)': 1 },
      },
    );
    expect(v.results[0]).toMatchObject({ ok: false, reason: expect.stringContaining('p(99.99)') });
  });
});
