import type { ArrivalProfile } from '../scenarios';

/** One autocannon run: a constant request rate for a number of seconds (rate 0 = idle). */
export interface Step {
  rate: number;
  durationSec: number;
}

/** A ramp is cut into at most this many constant-rate runs (each at least a second long). */
export const MAX_STEPS_PER_RAMP = 5;
/** Long runs are cut into chunks this long, so a gross breach can stop the run between chunks. */
export const MAX_STEP_SEC = 10;

/**
 * Approximates an arrival profile by consecutive constant-rate runs. A ramp from a to b becomes
 * steps at the midpoint rate of each slice, so the number of requests matches the ramp's.
 */
export function planSteps(profile: ArrivalProfile): Step[] {
  return rampSteps(profile).flatMap(chunk);
}

function chunk(step: Step): Step[] {
  const n = Math.ceil(step.durationSec / MAX_STEP_SEC);
  if (n <= 1) return [step];
  const out: Step[] = [];
  for (let left = step.durationSec; left > 0; left -= MAX_STEP_SEC) {
    out.push({ rate: step.rate, durationSec: Math.min(MAX_STEP_SEC, left) });
  }
  return out;
}

function rampSteps(profile: ArrivalProfile): Step[] {
  if (profile.executor === 'constant-arrival-rate') {
    return [{ rate: Math.round(profile.rate), durationSec: profile.durationSec }];
  }
  const steps: Step[] = [];
  let from = profile.startRate;
  for (const stage of profile.stages) {
    const to = stage.target;
    const n = from === to ? 1 : Math.max(1, Math.min(MAX_STEPS_PER_RAMP, Math.floor(stage.durationSec)));
    for (let i = 0; i < n; i++) {
      steps.push({
        rate: Math.round(from + ((to - from) * (i + 0.5)) / n),
        durationSec: stage.durationSec / n,
      });
    }
    from = to;
  }
  return steps;
}
