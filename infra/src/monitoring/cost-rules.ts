import { firstThresholdUsd, PRICE_TABLE } from '@ml-platform/stack-config';
import { LABELS, METRICS } from '@ml-platform/contract/names';
import { num, type AlertingRule, type RecordingRule, type RuleGroup } from './sla-rules';

export const COST_PER_1K_RECORD = 'inference:cost_per_1k_predictions_usd';
export const RUN_RATE_RECORD = 'inference:cost_monthly_run_rate_usd';
export const BUDGET_RECORD = 'inference:budget_monthly_limit_usd';
export const COST_PER_1K_ALERT = 'InferenceCostPer1kAboveBudget';
export const RUN_RATE_ALERT = 'InferenceCostRunRateAboveBudget';
export const CONFIDENCE_ALERT = 'InferenceConfidenceShift';

export interface CostRuleOptions {
  /** Namespace the service runs in; every expression is scoped to it. */
  namespace: string;
  /** The stack's budget; without one there are no cost alerts, only the recordings. */
  budget?: { monthlyLimitUsd: number; alertThresholdsPct: number[]; maxCostPer1kPredictionsUsd: number };
  /** model_confidence_shift above this for 15 minutes alerts. */
  confidenceShiftThreshold: number;
  hoursPerMonth?: number;
}

/** Cost is read over an hour: a scrape-to-scrape rate of a cost counter swings with every batch. */
const WINDOW = '1h';

/**
 * Cost per 1000 predictions by model version, the serving pods' monthly run-rate next to the
 * budget, and the alerts on both and on the confidence shift. The run-rate covers what the
 * inference pods cost (their POD_COST_PER_HOUR_USD), not the rest of the stack.
 */
export function costRuleGroups(o: CostRuleOptions): RuleGroup[] {
  const ns = `namespace="${o.namespace}"`;
  const hours = o.hoursPerMonth ?? PRICE_TABLE.hoursPerMonth;
  const costRate = (by: string) => `sum${by} (rate(${METRICS.cost.name}{${ns}}[${WINDOW}]))`;
  const answered = `sum by (model, version) (rate(${METRICS.requests.name}{${ns},${LABELS.status}=~"2.."}[${WINDOW}]))`;
  const recording: RecordingRule[] = [
    { record: COST_PER_1K_RECORD, expr: `1000 * ${costRate(' by (model, version)')} / ${answered}` },
    { record: RUN_RATE_RECORD, expr: `${costRate('')} * ${num(3600 * hours)}` },
  ];
  const alerts: AlertingRule[] = [
    {
      alert: CONFIDENCE_ALERT,
      expr: `max by (model, version) (${METRICS.confidenceShift.name}{${ns}}) > ${num(o.confidenceShiftThreshold)}`,
      for: '15m',
      labels: { severity: 'ticket', slo: 'quality' },
      annotations: {
        summary: '{{ $labels.model }}/{{ $labels.version }} confidence moved away from its held-out profile',
        description: `model_confidence_shift (PSI of the top-1 scores) above ${num(o.confidenceShiftThreshold)} for 15 minutes.`,
      },
    },
  ];
  if (o.budget) {
    const max1k = o.budget.maxCostPer1kPredictionsUsd;
    const runRate = firstThresholdUsd(o.budget);
    recording.push({ record: BUDGET_RECORD, expr: `vector(${num(o.budget.monthlyLimitUsd)})` });
    alerts.push(
      {
        alert: COST_PER_1K_ALERT,
        expr: `${COST_PER_1K_RECORD} > ${num(max1k)}`,
        for: '30m',
        labels: { severity: 'ticket', slo: 'cost' },
        annotations: {
          summary:
            '{{ $labels.model }}/{{ $labels.version }} costs more per prediction than the budget allows',
          description: `Cost per 1000 predictions above ${num(max1k)} USD (budget.maxCostPer1kPredictionsUsd) for 30 minutes.`,
        },
      },
      {
        alert: RUN_RATE_ALERT,
        expr: `${RUN_RATE_RECORD} > ${num(runRate)}`,
        for: '1h',
        labels: { severity: 'ticket', slo: 'cost' },
        annotations: {
          summary: 'Inference serving is on course to pass the budget',
          description: `The serving pods' monthly run-rate is above ${num(runRate)} USD, the budget's first threshold (${num(Math.min(...o.budget.alertThresholdsPct))}% of ${num(o.budget.monthlyLimitUsd)}).`,
        },
      },
    );
  }
  return [
    { name: 'inference-cost.records', interval: '1m', rules: recording },
    { name: 'inference-cost.alerts', rules: alerts },
  ];
}
