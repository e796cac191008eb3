import { firstThresholdUsd, maxCostPer1kWithinBudget, type StackConfig } from '@ml-platform/stack-config';
import { METRICS } from '@ml-platform/contract/names';
import { stackGuardrail } from '../core/define';
import type { PlainResource } from '../core/resources';
import { comparisonThresholds } from './promql';
import { alertRules, type AlertRule } from './sla-alerts';

type Finding = { message: string; urn?: string };
type Budget = NonNullable<StackConfig['budget']>;

const fmt = (n: number) => Number(n.toPrecision(6)).toString();

/** Alerts whose meaning (recording rules inlined) reads the attributed cost counter. */
const costAlerts = (rules: AlertRule[]) => rules.filter((r) => r.meaning.includes(METRICS.cost.name));

/**
 * One alert of `kind` whose threshold is at most `limit`, or a finding that says what is missing or
 * how far off the thresholds found are.
 */
function checkThreshold(rules: AlertRule[], kind: string, limit: number, why: string): Finding[] {
  if (rules.length === 0) return [{ message: `no PrometheusRule alert on ${kind}` }];
  const described: string[] = [];
  const good = rules.some((r) => {
    const thresholds = comparisonThresholds(r.expr);
    described.push(`${r.alert} > ${thresholds.map(fmt).join('/') || '(no numeric threshold)'}`);
    return thresholds.length > 0 && Math.max(...thresholds) <= limit * (1 + 1e-9);
  });
  if (good) return [];
  return [
    {
      urn: rules[0].source.urn,
      message: `${kind} alert is looser than the budget: ${described.join('; ')}; ${why} is ${fmt(limit)}`,
    },
  ];
}

/**
 * A stack with a budget alerts on cost per 1000 predictions no higher than the budget spread over a
 * month of the SLA's peak traffic, and on the serving run-rate no higher than the budget's first
 * threshold: either alert looser than that lets the budget go before anyone hears of it.
 */
export function checkCostAlerts(
  resources: PlainResource[],
  config: StackConfig & { budget: Budget },
): Finding[] {
  const cost = costAlerts(alertRules(resources));
  const perPrediction = cost.filter((r) => r.meaning.includes(METRICS.requests.name));
  const runRate = cost.filter((r) => !r.meaning.includes(METRICS.requests.name));
  const { budget, sla } = config;
  return [
    ...checkThreshold(
      perPrediction,
      `cost per 1k predictions (${METRICS.cost.name} over ${METRICS.requests.name})`,
      maxCostPer1kWithinBudget(budget.monthlyLimitUsd, sla),
      `the budget's ${fmt(budget.monthlyLimitUsd)} USD over a month at the SLA peak of ${sla.peakRps} req/s`,
    ),
    ...checkThreshold(
      runRate,
      `the serving run-rate (${METRICS.cost.name})`,
      firstThresholdUsd(budget),
      `the budget's first threshold (${fmt(Math.min(...budget.alertThresholdsPct))}% of ${fmt(budget.monthlyLimitUsd)} USD)`,
    ),
  ];
}

export const costAlertsPolicy = stackGuardrail(
  {
    name: 'cost-alerts',
    description:
      'A stack with a budget alerts on cost per 1000 predictions and on the serving run-rate, with thresholds the budget can afford.',
    severity: 'medium',
    enforcementLevel: 'mandatory',
    remediation:
      'Leave ml-platform:budget.maxCostPer1kPredictionsUsd unset (it defaults to the budget over a month of peak traffic) ' +
      'or set it no higher than that, and generate the cost PrometheusRule from the stack config.',
    settings: {},
  },
  (resources, { context: ctx, notApplicable }) => {
    const { config } = ctx();
    const budget = config.budget;
    if (!budget) return notApplicable('the stack has no budget');
    return checkCostAlerts(resources, { ...config, budget });
  },
);
