import type { Sla } from '@ml-platform/stack-config';
import type { SummaryMetrics, ThresholdResult, Verdict } from '../evaluate';

export interface LatencyPoint {
  /** `p50`, `p95`, `max`, ... */
  label: string;
  valueMs: number;
}

/** One arrival-rate step the local runner drove (k6 reports have none: k6 keeps its own timeline). */
export interface StageResult {
  targetRps: number;
  achievedRps: number;
  durationSec: number;
  requests: number;
}

/** The one report format both k6 (handleSummary) and the local runner write. */
export interface LoadTestReport {
  tool: 'k6' | 'autocannon' | 'grpc-js';
  scenario: string;
  description: string;
  stack: string | null;
  target: string;
  model: string | null;
  sla: Sla;
  durationSec: number;
  requests: number;
  achievedRps: number;
  metrics: SummaryMetrics;
  thresholds: ThresholdResult[];
  passed: boolean;
  /** Why the run stopped early (a gross breach), or null. */
  aborted: string | null;
  latency: LatencyPoint[];
  stages: StageResult[];
}

const CHART_POINTS: Array<[stat: string, label: string]> = [
  ['med', 'p50'],
  ['p(90)', 'p90'],
  ['p(95)', 'p95'],
  ['p(99)', 'p99'],
  ['p(99.9)', 'p99.9'],
  ['max', 'max'],
];

/** The latency percentiles of `http_req_duration` a summary holds, in rising order. */
export function latencyPoints(metrics: SummaryMetrics): LatencyPoint[] {
  const d = metrics.http_req_duration ?? {};
  return CHART_POINTS.filter(([stat]) => Number.isFinite(d[stat])).map(([stat, label]) => ({
    label,
    valueMs: d[stat],
  }));
}

/** What a run knows; the report derives the rest (request counts, pass/fail, latency points). */
export type ReportInput = Pick<
  LoadTestReport,
  'tool' | 'scenario' | 'description' | 'stack' | 'target' | 'model' | 'sla' | 'durationSec' | 'metrics'
> & {
  verdict: Verdict;
  aborted?: string | null;
  stages?: StageResult[];
};

export function buildReport(input: ReportInput): LoadTestReport {
  const reqs = input.metrics.http_reqs ?? {};
  const { verdict, aborted, stages, ...run } = input;
  return {
    ...run,
    requests: reqs.count ?? 0,
    achievedRps: reqs.rate ?? 0,
    thresholds: verdict.results,
    passed: verdict.passed && !aborted,
    aborted: aborted ?? null,
    latency: latencyPoints(input.metrics),
    stages: stages ?? [],
  };
}

export function formatActual(r: ThresholdResult): string {
  if (r.actual === null) return 'n/a';
  return r.metric === 'http_req_duration' ? `${r.actual.toFixed(2)}ms` : `${+r.actual.toFixed(6)}`;
}
