import type { SummaryMetrics } from '../evaluate';
import type { StageResult } from '../report/report';
import { trend } from '../trend';

/** What one constant-rate run observed. */
export interface StepSamples {
  targetRps: number;
  plannedSec: number;
  elapsedSec: number;
  /** Durations of requests that got a response, failed statuses included (as k6 records them). */
  latenciesMs: number[];
  /** Responses with status >= 400, which k6 counts in http_req_failed. */
  failedResponses: number;
  /** Requests that never got a response: connection errors and timeouts. */
  networkErrors: number;
  checkPasses: number;
  checkFails: number;
}

/** Nothing observed yet for a step of `targetRps` planned for `plannedSec`. */
export function emptySamples(targetRps: number, plannedSec: number): StepSamples {
  return {
    targetRps,
    plannedSec,
    elapsedSec: 0,
    latenciesMs: [],
    failedResponses: 0,
    networkErrors: 0,
    checkPasses: 0,
    checkFails: 0,
  };
}

function requests(s: StepSamples): number {
  return s.latenciesMs.length + s.networkErrors;
}

/**
 * Local results in the shape of a k6 summary (same metric names and statistics), so the same
 * thresholds apply. Requests the generator failed to start count as dropped_iterations, as in k6.
 */
export function localMetrics(steps: readonly StepSamples[], trendStats: readonly string[]): SummaryMetrics {
  const elapsed = steps.reduce((t, s) => t + s.elapsedSec, 0);
  const count = steps.reduce((n, s) => n + requests(s), 0);
  const failed = steps.reduce((n, s) => n + s.failedResponses + s.networkErrors, 0);
  const passes = steps.reduce((n, s) => n + s.checkPasses, 0);
  const fails = steps.reduce((n, s) => n + s.checkFails, 0);
  const dropped = steps.reduce(
    (n, s) => n + Math.max(0, Math.round(s.targetRps * s.plannedSec) - requests(s)),
    0,
  );
  const latencies = steps.flatMap((s) => s.latenciesMs);
  const perSecond = (n: number) => (elapsed > 0 ? n / elapsed : 0);

  const metrics: SummaryMetrics = {
    http_reqs: { count, rate: perSecond(count) },
    dropped_iterations: { count: dropped, rate: perSecond(dropped) },
  };
  if (latencies.length > 0) metrics.http_req_duration = trend(latencies, trendStats);
  // k6 Rate semantics: `passes` counts non-zero samples, which for http_req_failed are the failures.
  if (count > 0) metrics.http_req_failed = { rate: failed / count, passes: failed, fails: count - failed };
  if (passes + fails > 0) metrics.checks = { rate: passes / (passes + fails), passes, fails };
  return metrics;
}

export function stageResults(steps: readonly StepSamples[]): StageResult[] {
  return steps.map((s) => ({
    targetRps: s.targetRps,
    achievedRps: s.elapsedSec > 0 ? requests(s) / s.elapsedSec : 0,
    durationSec: s.elapsedSec,
    requests: requests(s),
  }));
}
