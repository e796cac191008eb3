import type { Sla } from '@ml-platform/stack-config';
import { slaThresholds, type ThresholdSet } from './thresholds';

/**
 * Load-test scenarios derived from one stack's SLA. Pure data: the k6 script renders them into k6
 * options and the local runner plans autocannon runs from them, so both drive the same traffic shape
 * and judge it by the same thresholds.
 */
export const SCENARIO_NAMES = ['smoke', 'load', 'stress', 'spike', 'soak'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** One step of an arrival-rate ramp: reach `target` requests/s linearly over `durationSec`. */
export interface Stage {
  target: number;
  durationSec: number;
}

/** Open-model arrival: requests start at the given rate whatever the latency of earlier ones. */
export type ArrivalProfile =
  | { executor: 'constant-arrival-rate'; rate: number; durationSec: number }
  | { executor: 'ramping-arrival-rate'; startRate: number; stages: Stage[] };

export interface ScenarioDefinition {
  name: ScenarioName;
  description: string;
  profile: ArrivalProfile;
  /** VUs k6 allocates up front and at most; sized by Little's law from the rate and the SLA latency. */
  preAllocatedVUs: number;
  maxVUs: number;
  thresholds: ThresholdSet;
}

/** Smoke proves the path works, so its rate stays small whatever the peak. */
const SMOKE_MAX_RPS = 5;
const STRESS_FACTOR = 2;
/** The spike jumps past the stress level to see the service shed load and recover. */
const SPIKE_FACTOR = 3;
const SPIKE_BASELINE_FACTOR = 0.2;
/** Soak holds a typical (below peak) load long enough to surface leaks and drift. */
const SOAK_FACTOR = 0.8;
/**
 * In-flight requests = rate x latency. Pre-allocate for twice the SLA p99 and let k6 grow to ten
 * times that, so a slow service shows up as latency rather than as the generator running dry.
 */
const PREALLOCATED_LATENCY_FACTOR = 2;
const MAX_VUS_FACTOR = 5;
const MIN_VUS = 2;

/** In-flight requests needed to sustain `rate` when requests take up to twice the SLA p99 (Little's law). */
export function concurrencyFor(rate: number, sla: Sla): number {
  return Math.max(MIN_VUS, Math.ceil(rate * (sla.p99LatencyMs / 1000) * PREALLOCATED_LATENCY_FACTOR));
}

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

export function buildScenarios(sla: Sla): Record<ScenarioName, ScenarioDefinition> {
  const peak = sla.peakRps;
  const thresholds = slaThresholds(sla);
  const define = (name: ScenarioName, description: string, profile: ArrivalProfile): ScenarioDefinition => {
    const pre = concurrencyFor(maxRate(profile), sla);
    return { name, description, profile, preAllocatedVUs: pre, maxVUs: pre * MAX_VUS_FACTOR, thresholds };
  };
  const base = Math.max(1, Math.round(peak * SPIKE_BASELINE_FACTOR));
  return {
    smoke: define('smoke', 'a few requests per second: the path works and meets the SLA', {
      executor: 'constant-arrival-rate',
      rate: Math.min(peak, SMOKE_MAX_RPS),
      durationSec: 30,
    }),
    load: define('load', `ramp to the SLA peak (${peak} rps) and hold it`, {
      executor: 'ramping-arrival-rate',
      startRate: 0,
      stages: [
        { target: peak, durationSec: 60 },
        { target: peak, durationSec: 300 },
      ],
    }),
    stress: define('stress', `ramp to ${STRESS_FACTOR}x the SLA peak and hold it`, {
      executor: 'ramping-arrival-rate',
      startRate: base,
      stages: [
        { target: peak, durationSec: 30 },
        { target: peak * STRESS_FACTOR, durationSec: 60 },
        { target: peak * STRESS_FACTOR, durationSec: 300 },
      ],
    }),
    spike: define(
      'spike',
      `jump from ${base} to ${SPIKE_FACTOR}x the SLA peak within seconds, then recover`,
      {
        executor: 'ramping-arrival-rate',
        startRate: base,
        stages: [
          { target: base, durationSec: 30 },
          { target: peak * SPIKE_FACTOR, durationSec: 10 },
          { target: peak * SPIKE_FACTOR, durationSec: 60 },
          { target: base, durationSec: 10 },
          { target: base, durationSec: 60 },
        ],
      },
    ),
    soak: define('soak', `hold ${SOAK_FACTOR * 100}% of the SLA peak for an hour`, {
      executor: 'constant-arrival-rate',
      rate: Math.max(1, Math.round(peak * SOAK_FACTOR)),
      durationSec: 3600,
    }),
  };
}

export function buildScenario(sla: Sla, name: ScenarioName, durationSec?: number): ScenarioDefinition {
  const def = buildScenarios(sla)[name];
  return durationSec === undefined ? def : { ...def, profile: compress(def.profile, durationSec) };
}

export function maxRate(profile: ArrivalProfile): number {
  return profile.executor === 'constant-arrival-rate'
    ? profile.rate
    : Math.max(profile.startRate, ...profile.stages.map((s) => s.target));
}

export function totalDurationSec(profile: ArrivalProfile): number {
  return profile.executor === 'constant-arrival-rate'
    ? profile.durationSec
    : profile.stages.reduce((sum, s) => sum + s.durationSec, 0);
}

/**
 * Scales a profile to about `durationSec` seconds, keeping the rates and the proportions of the
 * stages, so CI can run a short pass with the same shape. Each stage keeps at least one second.
 */
export function compress(profile: ArrivalProfile, durationSec: number): ArrivalProfile {
  if (!Number.isFinite(durationSec) || durationSec <= 0) {
    throw new RangeError(`duration must be a positive number of seconds, got ${durationSec}`);
  }
  if (profile.executor === 'constant-arrival-rate') return { ...profile, durationSec };
  const factor = durationSec / totalDurationSec(profile);
  return {
    ...profile,
    stages: profile.stages.map((s) => ({
      ...s,
      durationSec: Math.max(1, Math.round(s.durationSec * factor)),
    })),
  };
}
