import { errorBudgetRatio, type Sla } from '@ml-platform/stack-config';
import { METRICS } from '@ml-platform/contract/names';
import { errorRatio, latencyQuantile } from './promql';

export interface RecordingRule {
  record: string;
  expr: string;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export type Rule = RecordingRule | AlertingRule;

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

export interface SlaRuleOptions {
  sla: Sla;
  /** Namespace the service runs in; every expression is scoped to it. */
  namespace: string;
  /** drift_score above this for 15 minutes alerts. */
  driftThreshold: number;
  /** Average queued requests per pod above this for 5 minutes alerts. */
  queueSaturationDepth: number;
  /** p99 latency alert threshold in ms; default the SLA's p99 (the guardrails reject a looser one). */
  p99AlertMs?: number;
}

/**
 * Multi-window, multi-burn-rate pairs from the Google SRE workbook for a 30-day error budget: the long
 * window measures how fast the budget burns, the short one makes the alert stop soon after the burn does.
 * 14.4x for 1h spends 2% of the budget, 6x for 6h 5%, 3x for 1d 10%, 1x for 3d 10%.
 */
export const BURN_RATE_WINDOWS = [
  { alert: 'InferenceErrorBudgetBurnFast', severity: 'page', long: '1h', short: '5m', factor: 14.4 },
  { alert: 'InferenceErrorBudgetBurnFast', severity: 'page', long: '6h', short: '30m', factor: 6 },
  { alert: 'InferenceErrorBudgetBurnSlow', severity: 'ticket', long: '1d', short: '2h', factor: 3 },
  { alert: 'InferenceErrorBudgetBurnSlow', severity: 'ticket', long: '3d', short: '6h', factor: 1 },
] as const;

export const ERROR_RATIO_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;

const BY = ['model', 'version'];

/** Rounded so rule files read `0.0144`, not `0.014400000000000001`. */
export function num(x: number): string {
  return String(Number(x.toPrecision(6)));
}

/** The SLA window the error budget is spent over (the burn-rate pairs assume 30 days). */
export const ERROR_BUDGET_WINDOW = '30d';
export const ERROR_BUDGET_REMAINING_RECORD = 'inference:error_budget_remaining:30d';

export function errorRatioRecord(window: string): string {
  return `inference:error_ratio:rate${window}`;
}

/** A burn threshold above 100% errors could never be reached; capping keeps the alert meaningful. */
export function burnThreshold(sla: Sla, factor: number): number {
  return Math.min(1, factor * errorBudgetRatio(sla));
}

/** The PrometheusRule groups for one SLA: recording rules for the error ratios, then the alerts. */
export function slaRuleGroups(o: SlaRuleOptions): RuleGroup[] {
  const ns = `namespace="${o.namespace}"`;
  const budget = errorBudgetRatio(o.sla);
  const p99AlertMs = o.p99AlertMs ?? o.sla.p99LatencyMs;
  const p99Seconds = p99AlertMs / 1000;
  const recording: RecordingRule[] = [
    ...ERROR_RATIO_WINDOWS.map((w) => ({ record: errorRatioRecord(w), expr: errorRatio(w, ns, BY) })),
    { record: 'inference:latency_p99_seconds:5m', expr: latencyQuantile(0.99, '5m', ns, BY) },
    // 1 untouched, 0 spent, below 0 overspent.
    {
      record: ERROR_BUDGET_REMAINING_RECORD,
      expr: `1 - (${errorRatio(ERROR_BUDGET_WINDOW, ns, BY)}) / ${num(budget)}`,
    },
  ];

  const burnAlerts: AlertingRule[] = ['InferenceErrorBudgetBurnFast', 'InferenceErrorBudgetBurnSlow'].map(
    (name) => {
      const pairs = BURN_RATE_WINDOWS.filter((w) => w.alert === name);
      const expr = pairs
        .map((w) => {
          const t = num(burnThreshold(o.sla, w.factor));
          return `(${errorRatioRecord(w.long)} > ${t} and ${errorRatioRecord(w.short)} > ${t})`;
        })
        .join(' or ');
      const severity = pairs[0].severity;
      return {
        alert: name,
        expr,
        for: severity === 'page' ? '2m' : '15m',
        labels: { severity, slo: 'error-rate' },
        annotations: {
          summary: `{{ $labels.model }}/{{ $labels.version }} is burning its error budget ${severity === 'page' ? 'fast' : 'steadily'}`,
          description:
            `5xx ratio above ${pairs.map((w) => `${w.factor}x`).join(' / ')} the SLA budget of ${num(budget * 100)}% ` +
            `(windows ${pairs.map((w) => `${w.long}+${w.short}`).join(', ')}).`,
          sla_error_rate_pct: num(o.sla.errorRatePct),
        },
      };
    },
  );

  const alerts: AlertingRule[] = [
    ...burnAlerts,
    {
      alert: 'InferenceLatencyP99AboveSla',
      expr: `inference:latency_p99_seconds:5m > ${num(p99Seconds)}`,
      for: '5m',
      labels: { severity: 'page', slo: 'latency-p99' },
      annotations: {
        summary: '{{ $labels.model }}/{{ $labels.version }} p99 latency is above the SLA',
        description: `p99 request latency over 5m has exceeded ${num(p99AlertMs)} ms for 5 minutes.`,
        sla_p99_latency_ms: num(o.sla.p99LatencyMs),
      },
    },
    {
      alert: 'InferenceQueueSaturated',
      expr: `avg by (model, version) (${METRICS.queueDepth.name}{${ns}}) > ${o.queueSaturationDepth}`,
      for: '5m',
      labels: { severity: 'page', slo: 'saturation' },
      annotations: {
        summary: '{{ $labels.model }}/{{ $labels.version }} batch queues are saturated',
        description: `More than ${o.queueSaturationDepth} requests queued per pod for 5 minutes: scale-out is not keeping up.`,
      },
    },
    {
      alert: 'InferenceRedisDegraded',
      expr: `min by (namespace) (${METRICS.redisUp.name}{${ns}}) < 1`,
      for: '2m',
      labels: { severity: 'ticket', slo: 'dependency' },
      annotations: {
        summary: 'Inference pods cannot reach Redis',
        description: 'Rate limits and the response cache have fallen back to per-pod memory for 2 minutes.',
      },
    },
    {
      alert: 'InferenceModelDrift',
      expr: `max by (model, version) (${METRICS.driftScore.name}{${ns}}) > ${num(o.driftThreshold)}`,
      for: '15m',
      labels: { severity: 'ticket', slo: 'drift' },
      annotations: {
        summary: '{{ $labels.model }}/{{ $labels.version }} inputs drifted from the reference profile',
        description: `drift_score above ${num(o.driftThreshold)} for 15 minutes.`,
      },
    },
    {
      // On the state, not on increase() of the decisions counter: that series is born at 1 on the
      // rollback itself, and increase() cannot see a first sample. It stays up until the version is
      // tried again or another rollout starts, which is what a ticket wants.
      alert: 'InferenceModelRolledBack',
      expr: `max by (model, version) (${METRICS.rolloutState.name}{${ns}}) == 3`,
      for: '0m',
      labels: { severity: 'ticket', slo: 'rollout' },
      annotations: {
        summary: '{{ $labels.model }} canary version {{ $labels.version }} was rolled back automatically',
        description:
          'The model rollout controller found the canary worse than stable (errors or p99 latency) and sent it no more traffic. GET /v2/models/{{ $labels.model }}/rollout shows the evidence; docs/rollouts.md says what to do.',
      },
    },
  ];
  return [
    { name: 'inference-sla.records', interval: '30s', rules: recording },
    { name: 'inference-sla.alerts', rules: alerts },
  ];
}
