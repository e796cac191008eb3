import fc from 'fast-check';
import { listStacks, loadStackConfig, SlaSchema, type Sla } from '@ml-platform/stack-config';
import { toK6Options } from '../src/k6-options';
import {
  buildScenario,
  buildScenarios,
  compress,
  maxRate,
  SCENARIO_NAMES,
  totalDurationSec,
} from '../src/scenarios';
import { GROSS_ERROR_FACTOR, GROSS_LATENCY_FACTOR, parseThreshold } from '../src/thresholds';

const slaArb: fc.Arbitrary<Sla> = fc
  .record({
    p50: fc.integer({ min: 1, max: 500 }),
    d95: fc.integer({ min: 0, max: 500 }),
    d99: fc.integer({ min: 0, max: 500 }),
    errorRatePct: fc.double({ min: 0.01, max: 20, noNaN: true }),
    peakRps: fc.integer({ min: 1, max: 5000 }),
  })
  .map((r) =>
    SlaSchema.parse({
      p50LatencyMs: r.p50,
      p95LatencyMs: r.p50 + r.d95,
      p99LatencyMs: r.p50 + r.d95 + r.d99,
      errorRatePct: r.errorRatePct,
      availabilityPct: 99,
      peakRps: r.peakRps,
    }),
  );

function limit(sla: Sla, metric: string, stat: string, gross: boolean): number {
  const spec = buildScenarios(sla).load.thresholds[metric].find(
    (t) => parseThreshold(t.expression).stat === stat && t.abortOnFail === gross,
  );
  if (!spec) throw new Error(`no ${gross ? 'gross ' : ''}${stat} threshold on ${metric}`);
  return parseThreshold(spec.expression).value;
}

describe('scenarios derived from the SLA of each stack in the repository', () => {
  const stacks = listStacks();

  it('finds the stacks', () => {
    expect(stacks).toEqual(expect.arrayContaining(['dev', 'staging', 'prod', 'local']));
  });

  it.each(stacks)('%s: thresholds carry the stack SLA numbers', (stack) => {
    const sla = loadStackConfig(stack).sla;
    const scenarios = buildScenarios(sla);
    for (const name of SCENARIO_NAMES) {
      const t = scenarios[name].thresholds;
      expect(t.http_req_duration.map((s) => s.expression)).toEqual(
        expect.arrayContaining([`p(95)<=${sla.p95LatencyMs}`, `p(99)<=${sla.p99LatencyMs}`]),
      );
      expect(parseThreshold(t.http_req_failed[0].expression)).toEqual({
        stat: 'rate',
        op: '<=',
        value: sla.errorRatePct / 100,
      });
      expect(parseThreshold(t.checks[0].expression).value).toBeCloseTo(1 - sla.errorRatePct / 100, 12);
    }
  });

  it.each(stacks)('%s: arrival rates follow the peak RPS', (stack) => {
    const sla = loadStackConfig(stack).sla;
    const s = buildScenarios(sla);
    expect(s.smoke.profile.executor).toBe('constant-arrival-rate');
    expect(maxRate(s.smoke.profile)).toBeLessThanOrEqual(sla.peakRps);
    expect(s.load.profile.executor).toBe('ramping-arrival-rate');
    expect(maxRate(s.load.profile)).toBe(sla.peakRps);
    expect(maxRate(s.stress.profile)).toBe(2 * sla.peakRps);
    expect(maxRate(s.spike.profile)).toBeGreaterThan(maxRate(s.stress.profile));
    expect(s.soak.profile.executor).toBe('constant-arrival-rate');
    expect(totalDurationSec(s.soak.profile)).toBeGreaterThanOrEqual(3600);
    for (const d of Object.values(s)) expect(d.maxVUs).toBeGreaterThanOrEqual(d.preAllocatedVUs);
  });
});

describe('scenario definitions for any valid SLA', () => {
  it('gross-breach thresholds abort and sit above the SLA thresholds', () => {
    fc.assert(
      fc.property(slaArb, (sla) => {
        expect(limit(sla, 'http_req_duration', 'p(99)', true)).toBeCloseTo(
          sla.p99LatencyMs * GROSS_LATENCY_FACTOR,
          6,
        );
        expect(limit(sla, 'http_req_duration', 'p(99)', true)).toBeGreaterThan(
          limit(sla, 'http_req_duration', 'p(99)', false),
        );
        const grossErr = limit(sla, 'http_req_failed', 'rate', true);
        expect(grossErr).toBeGreaterThan(limit(sla, 'http_req_failed', 'rate', false));
        expect(grossErr).toBeLessThanOrEqual(Math.max(0.5, (sla.errorRatePct / 100) * GROSS_ERROR_FACTOR));
        const gross = Object.values(buildScenarios(sla).load.thresholds)
          .flat()
          .filter((t) => t.abortOnFail);
        expect(gross.length).toBeGreaterThan(0);
        for (const g of gross) expect(g.delayAbortEvalSec).toBeGreaterThan(0);
      }),
    );
  });

  it('sizes VUs by Little law: enough in-flight requests for the max rate at the SLA p99', () => {
    fc.assert(
      fc.property(slaArb, fc.constantFrom(...SCENARIO_NAMES), (sla, name) => {
        const d = buildScenarios(sla)[name];
        expect(d.preAllocatedVUs).toBeGreaterThanOrEqual(maxRate(d.profile) * (sla.p99LatencyMs / 1000));
      }),
    );
  });

  it('compress keeps the rates and shape and roughly hits the requested duration', () => {
    fc.assert(
      fc.property(
        slaArb,
        fc.constantFrom(...SCENARIO_NAMES),
        fc.integer({ min: 2, max: 600 }),
        (sla, name, secs) => {
          const full = buildScenarios(sla)[name].profile;
          const short = compress(full, secs);
          expect(maxRate(short)).toBe(maxRate(full));
          expect(short.executor).toBe(full.executor);
          if (short.executor === 'ramping-arrival-rate' && full.executor === 'ramping-arrival-rate') {
            expect(short.stages.map((s) => s.target)).toEqual(full.stages.map((s) => s.target));
            expect(short.stages.every((s) => s.durationSec >= 1)).toBe(true);
            // Each stage is rounded to whole seconds (at least 1), so the total is off by at most one per stage.
            expect(Math.abs(totalDurationSec(short) - secs)).toBeLessThanOrEqual(short.stages.length);
          } else {
            expect(totalDurationSec(short)).toBe(secs);
          }
        },
      ),
    );
  });

  it('rejects a non-positive duration with a message naming it', () => {
    const sla = loadStackConfig('local').sla;
    expect(() => buildScenario(sla, 'stress', 0)).toThrow(
      'duration must be a positive number of seconds, got 0',
    );
  });
});

describe('k6 options rendering', () => {
  it('renders an arrival-rate scenario, SLA thresholds with abortOnFail objects, and the trend stats they need', () => {
    const sla = loadStackConfig('prod').sla;
    const opts = toK6Options(buildScenario(sla, 'stress'));
    expect(Object.keys(opts.scenarios ?? {})).toEqual(['stress']);
    expect(opts.scenarios?.stress).toMatchObject({
      executor: 'ramping-arrival-rate',
      timeUnit: '1s',
      stages: expect.arrayContaining([{ target: 2 * sla.peakRps, duration: '300s' }]),
    });
    expect(opts.thresholds?.http_req_duration).toEqual([
      `p(95)<=${sla.p95LatencyMs}`,
      `p(99)<=${sla.p99LatencyMs}`,
      {
        threshold: `p(99)<=${sla.p99LatencyMs * GROSS_LATENCY_FACTOR}`,
        abortOnFail: true,
        delayAbortEval: '10s',
      },
    ]);
    expect(opts.summaryTrendStats).toEqual(expect.arrayContaining(['p(95)', 'p(99)', 'med', 'max']));
    const smoke = toK6Options(buildScenario(sla, 'smoke', 7));
    expect(smoke.scenarios?.smoke).toMatchObject({ executor: 'constant-arrival-rate', duration: '7s' });
  });
});
