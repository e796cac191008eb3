import * as aws from '@pulumi/aws';
import { numberSetting, resourceGuardrail, stackGuardrail } from '../core/define';
import { asArray, asRecord, toNumber, type PlainResource, type Props } from '../core/resources';
import { peek, UNKNOWN } from '../core/unknown';

export const BUDGET_TYPE = 'aws:budgets/budget:Budget';

export interface NotificationSettings {
  maxActualThresholdPct: number;
  forecastThresholdPct: number;
}

function hasSubscribers(n: Props): boolean {
  return ['subscriberEmailAddresses', 'subscriberSnsTopicArns'].some((k) => {
    const list = peek(() => n[k]);
    return list === UNKNOWN || asArray(list).length > 0;
  });
}

function describe(n: Props): string {
  return `${String(n.notificationType)} ${String(n.comparisonOperator ?? '')} ${String(n.threshold)}${n.thresholdType === 'ABSOLUTE_VALUE' ? ' USD' : '%'}`;
}

/** The alerts that make a budget useful: an early ACTUAL warning and a FORECASTED one, each reaching a person. */
export function checkBudgetNotifications(budget: PlainResource, s: NotificationSettings): string[] {
  const out: string[] = [];
  if (budget.props.budgetType !== undefined && budget.props.budgetType !== 'COST') {
    out.push(`budgetType is ${String(budget.props.budgetType)}; the guardrails need a COST budget`);
  }
  const notifications = asArray(budget.props.notifications).map((n) => asRecord(n) ?? {});
  const pct = notifications.filter(
    (n) => (n.thresholdType ?? 'PERCENTAGE') === 'PERCENTAGE' && n.comparisonOperator === 'GREATER_THAN',
  );
  const actual = pct.filter((n) => n.notificationType === 'ACTUAL');
  const early = actual.filter((n) => (toNumber(n.threshold) ?? Infinity) <= s.maxActualThresholdPct);
  if (early.length === 0) {
    const seen = actual.map((n) => `${String(n.threshold)}%`).join(', ') || 'none';
    out.push(
      `no ACTUAL notification at or below ${s.maxActualThresholdPct}% of the limit (ACTUAL thresholds: ${seen})`,
    );
  }
  const forecast = pct.filter(
    (n) => n.notificationType === 'FORECASTED' && toNumber(n.threshold) === s.forecastThresholdPct,
  );
  if (forecast.length === 0)
    out.push(`no FORECASTED notification at ${s.forecastThresholdPct}% of the limit`);
  for (const n of [...early, ...forecast]) {
    if (!hasSubscribers(n)) out.push(`notification "${describe(n)}" has no subscribers (email or SNS topic)`);
  }
  return out;
}

export interface CostSettings {
  minHeadroomPct: number;
}

/** Monthly USD limit of a COST budget, or a reason it cannot be compared. */
export function monthlyLimitUsd(budget: PlainResource): number | string {
  const p = budget.props;
  if (p.timeUnit !== undefined && p.timeUnit !== 'MONTHLY')
    return `timeUnit is ${String(p.timeUnit)}, not MONTHLY`;
  if (p.limitUnit !== undefined && p.limitUnit !== 'USD')
    return `limitUnit is ${String(p.limitUnit)}, not USD`;
  const limit = toNumber(p.limitAmount);
  return limit === undefined ? `limitAmount ${JSON.stringify(p.limitAmount)} is not a number` : limit;
}

/**
 * The stack must carry a budget that would not be blown by running everything at its configured
 * maximum: otherwise autoscaling alone can spend past the limit before anyone is told.
 */
export function checkBudgetCoversMaxCost(
  resources: PlainResource[],
  maxMonthlyCostUsd: number | undefined,
  s: CostSettings,
): { message: string; urn?: string }[] {
  const budgets = resources.filter((r) => r.type === BUDGET_TYPE);
  if (budgets.length === 0)
    return [{ message: `the stack creates AWS resources but no AWS Budget (${BUDGET_TYPE})` }];
  if (maxMonthlyCostUsd === undefined) {
    return [
      { message: 'the stack program has no cost estimate at maximum scale to compare the budget with' },
    ];
  }
  const needed = maxMonthlyCostUsd * (1 + s.minHeadroomPct / 100);
  const out: { message: string; urn?: string }[] = [];
  for (const b of budgets) {
    const limit = monthlyLimitUsd(b);
    if (typeof limit === 'string') out.push({ urn: b.urn, message: `budget ${b.name}: ${limit}` });
    else if (limit < needed) {
      const headroom = s.minHeadroomPct > 0 ? ` plus ${s.minHeadroomPct}% headroom = ${usd(needed)}` : '';
      out.push({
        urn: b.urn,
        message:
          `budget ${b.name} limit ${usd(limit)}/month is below the estimated cost at maximum scale ` +
          `${usd(maxMonthlyCostUsd)}/month${headroom}: raise the limit or lower the maximum node counts`,
      });
    }
  }
  return out;
}

function usd(n: number): string {
  return `$${n.toFixed(2)}`;
}

const hasAwsResources = (resources: PlainResource[]) => resources.some((r) => r.type.startsWith('aws:'));

export const budgetNotificationsPolicy = resourceGuardrail(
  {
    name: 'budget-notifications',
    description:
      'The AWS Budget warns on ACTUAL spend at or below 80% and on FORECASTED spend at 100%, with subscribers.',
    severity: 'medium',
    enforcementLevel: 'mandatory',
    remediation:
      'Keep 80 (or lower) in ml-platform:budget.alertThresholdsPct and at least one email in budget.emails.',
    settings: {
      maxActualThresholdPct: numberSetting(
        80,
        'An ACTUAL notification must exist at or below this percentage.',
      ),
      forecastThresholdPct: numberSetting(
        100,
        'A FORECASTED notification must exist at exactly this percentage.',
      ),
    },
  },
  aws.budgets.Budget,
  (budget, { settings }) => checkBudgetNotifications(budget, settings),
);

export const budgetCoversMaxCostPolicy = stackGuardrail(
  {
    name: 'budget-covers-max-cost',
    description:
      "The stack's AWS Budget limit is at least the program's estimated monthly cost at maximum scale.",
    severity: 'high',
    enforcementLevel: 'mandatory',
    remediation:
      'Raise ml-platform:budget.monthlyLimitUsd above the costEstimate.maxMonthlyUsd output (see `npm run synth`), ' +
      'or lower the max node counts.',
    settings: {
      minHeadroomPct: numberSetting(0, 'Extra percentage the limit must leave above the estimate.'),
    },
  },
  (resources, { settings, context: ctx, notApplicable }) => {
    if (!hasAwsResources(resources)) notApplicable('the stack has no AWS resources');
    return checkBudgetCoversMaxCost(resources, ctx().maxMonthlyCostUsd, settings);
  },
);
