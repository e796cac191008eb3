import fc from 'fast-check';
import { loadStackConfig } from '@ml-platform/stack-config';
import { distribute } from '../src/local/autocannon-driver';
import { planSteps, MAX_STEP_SEC, MAX_STEPS_PER_RAMP } from '../src/local/plan';
import { buildScenario, SCENARIO_NAMES, totalDurationSec, type ArrivalProfile } from '../src/scenarios';

/** Requests a profile asks for: the area under its rate curve. */
function requested(profile: ArrivalProfile): number {
  if (profile.executor === 'constant-arrival-rate') return profile.rate * profile.durationSec;
  let from = profile.startRate;
  let total = 0;
  for (const s of profile.stages) {
    total += ((from + s.target) / 2) * s.durationSec;
    from = s.target;
  }
  return total;
}

describe('approximating an arrival profile by consecutive constant-rate runs', () => {
  it('keeps a constant-arrival-rate scenario as one run', () => {
    expect(planSteps({ executor: 'constant-arrival-rate', rate: 5, durationSec: 8 })).toEqual([
      { rate: 5, durationSec: 8 },
    ]);
  });

  it('cuts long runs into chunks of at most MAX_STEP_SEC so a gross breach can stop the run early', () => {
    expect(planSteps({ executor: 'constant-arrival-rate', rate: 5, durationSec: 25 })).toEqual([
      { rate: 5, durationSec: MAX_STEP_SEC },
      { rate: 5, durationSec: MAX_STEP_SEC },
      { rate: 5, durationSec: 25 - 2 * MAX_STEP_SEC },
    ]);
  });

  it('cuts a ramp into midpoint-rate steps', () => {
    expect(
      planSteps({
        executor: 'ramping-arrival-rate',
        startRate: 0,
        stages: [{ target: 100, durationSec: 4 }],
      }),
    ).toEqual([
      { rate: 13, durationSec: 1 },
      { rate: 38, durationSec: 1 },
      { rate: 63, durationSec: 1 },
      { rate: 88, durationSec: 1 },
    ]);
  });

  it('matches the duration of every scenario of every stack and its request count within rounding', () => {
    for (const stack of ['dev', 'staging', 'prod', 'local']) {
      const sla = loadStackConfig(stack).sla;
      for (const name of SCENARIO_NAMES) {
        const profile = buildScenario(sla, name).profile;
        const steps = planSteps(profile);
        const secs = steps.reduce((t, s) => t + s.durationSec, 0);
        expect(secs).toBeCloseTo(totalDurationSec(profile), 9);
        const reqs = steps.reduce((n, s) => n + s.rate * s.durationSec, 0);
        // Each step's rate is rounded to a whole request per second.
        expect(Math.abs(reqs - requested(profile))).toBeLessThanOrEqual(0.5 * secs);
      }
    }
  });

  it('never plans more steps than the ramps and chunks need, nor a negative rate or a step over MAX_STEP_SEC', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.array(
          fc.record({
            target: fc.integer({ min: 0, max: 1000 }),
            durationSec: fc.integer({ min: 1, max: 600 }),
          }),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        (startRate, stages) => {
          const steps = planSteps({ executor: 'ramping-arrival-rate', startRate, stages });
          const total = stages.reduce((t, s) => t + s.durationSec, 0);
          expect(steps.length).toBeLessThanOrEqual(
            stages.length * MAX_STEPS_PER_RAMP + Math.ceil(total / MAX_STEP_SEC),
          );
          expect(steps.every((s) => s.rate >= 0 && s.durationSec > 0 && s.durationSec <= MAX_STEP_SEC)).toBe(
            true,
          );
        },
      ),
    );
  });
});

describe('splitting a rate over phase-shifted autocannon instances', () => {
  it('splits into whole numbers that add up and differ by at most one', () => {
    expect(distribute(10, 4)).toEqual([3, 3, 2, 2]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 16 }), (total, parts) => {
        const d = distribute(total, parts);
        expect(d.reduce((a, b) => a + b, 0)).toBe(total);
        expect(Math.max(...d) - Math.min(...d)).toBeLessThanOrEqual(1);
      }),
    );
  });
});
