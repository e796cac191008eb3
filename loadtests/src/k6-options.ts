import type { Options, Scenario, Threshold } from 'k6/options';
import type { ScenarioDefinition } from './scenarios';
import { trendStats } from './trend';

const seconds = (s: number) => `${s}s`;

/** Renders a scenario definition as the `options` a k6 script exports. */
export function toK6Options(def: ScenarioDefinition): Options {
  const p = def.profile;
  const scenario: Scenario =
    p.executor === 'constant-arrival-rate'
      ? {
          executor: p.executor,
          rate: p.rate,
          timeUnit: '1s',
          duration: seconds(p.durationSec),
          preAllocatedVUs: def.preAllocatedVUs,
          maxVUs: def.maxVUs,
        }
      : {
          executor: p.executor,
          startRate: p.startRate,
          timeUnit: '1s',
          stages: p.stages.map((s) => ({ target: s.target, duration: seconds(s.durationSec) })),
          preAllocatedVUs: def.preAllocatedVUs,
          maxVUs: def.maxVUs,
        };
  const thresholds: Record<string, Threshold[]> = {};
  for (const [metric, specs] of Object.entries(def.thresholds)) {
    thresholds[metric] = specs.map((s) =>
      s.abortOnFail
        ? { threshold: s.expression, abortOnFail: true, delayAbortEval: seconds(s.delayAbortEvalSec ?? 0) }
        : s.expression,
    );
  }
  return { scenarios: { [def.name]: scenario }, thresholds, summaryTrendStats: trendStats(def.thresholds) };
}
