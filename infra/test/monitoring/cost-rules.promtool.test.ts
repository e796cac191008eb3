import { loadStackConfig } from '@ml-platform/stack-config';
import { METRICS } from '@ml-platform/contract/names';
import {
  CONFIDENCE_ALERT,
  COST_PER_1K_ALERT,
  costRuleGroups,
  RUN_RATE_ALERT,
} from '../../src/monitoring/cost-rules';
import { alertRuleTest, gauge, hasPromtool, promtool, series, type InputSeries } from '../promtool';

const NS = 'inference';
const SHIFT = 0.25;
const ALERTS = [COST_PER_1K_ALERT, RUN_RATE_ALERT, CONFIDENCE_ALERT];
const mv = { namespace: NS, model: 'breast-cancer', version: '1' };

/** A pod's cost and answered requests, growing by the given amounts every minute. */
function traffic(usdPerMinute: number, requestsPerMinute: number, minutes: number): InputSeries[] {
  const pod = { ...mv, pod: 'a' };
  return [
    { series: series(METRICS.cost.name, pod), values: `0+${usdPerMinute}x${minutes}` },
    {
      series: series(METRICS.requests.name, { ...pod, status: '200' }),
      values: `0+${requestsPerMinute}x${minutes}`,
    },
  ];
}

const prod = loadStackConfig('prod');
const budget = prod.budget!;
// The thresholds, from the stack: cost per 1k, and the first budget threshold as a monthly run-rate.
const max1k = budget.maxCostPer1kPredictionsUsd!;
const runRateLimit = (budget.monthlyLimitUsd * Math.min(...budget.alertThresholdsPct)) / 100;
const usdPerMinuteAt = (monthly: number) => monthly / (730 * 60);
const costLabels = { severity: 'ticket', slo: 'cost' };

const scenarios = [
  {
    name: 'cheap predictions within the budget fire nothing',
    // Half the run-rate limit, and half the cost per 1k allowed.
    series: [
      ...traffic(
        usdPerMinuteAt(runRateLimit / 2),
        (usdPerMinuteAt(runRateLimit / 2) * 1000) / (max1k / 2),
        150,
      ),
      gauge(METRICS.confidenceShift.name, { ...mv, pod: 'a' }, SHIFT / 2, 150),
    ],
    evalMinutes: 140,
    firing: {},
  },
  {
    name: 'cost per 1k predictions above the setting opens a ticket',
    // A cheap pod with little traffic: each prediction costs twice the allowed amount.
    series: traffic(0.01, (0.01 * 1000) / (max1k * 2), 120),
    evalMinutes: 100,
    firing: { [COST_PER_1K_ALERT]: { model: mv.model, version: mv.version, ...costLabels } },
  },
  {
    name: "a run-rate above the budget's first threshold opens a ticket",
    series: traffic(usdPerMinuteAt(runRateLimit * 1.2), 10_000_000, 150),
    evalMinutes: 140,
    firing: { [RUN_RATE_ALERT]: costLabels },
  },
  {
    name: 'a confidence shift above the threshold opens a ticket',
    series: [gauge(METRICS.confidenceShift.name, { ...mv, pod: 'a' }, SHIFT + 0.1, 40)],
    evalMinutes: 30,
    firing: {
      [CONFIDENCE_ALERT]: { model: mv.model, version: mv.version, severity: 'ticket', slo: 'quality' },
    },
  },
  {
    name: 'a confidence shift shorter than 15 minutes stays silent',
    series: [
      { series: series(METRICS.confidenceShift.name, { ...mv, pod: 'a' }), values: `0.1x20 0.9x10 0.1x10` },
    ],
    evalMinutes: 30,
    firing: {},
  },
];

const d = hasPromtool ? describe : describe.skip;

d('cost and quality rules under promtool', () => {
  const groups = costRuleGroups({
    namespace: NS,
    budget: { ...budget, maxCostPer1kPredictionsUsd: max1k },
    confidenceShiftThreshold: SHIFT,
  });

  it('pass promtool check rules', () => {
    const r = promtool((dir) => ['check', 'rules', `${dir}/rules.yaml`], { 'rules.yaml': { groups } });
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
    const r = promtool(() => ['test', 'rules', 'test.yaml'], {
      'rules.yaml': { groups },
      'test.yaml': alertRuleTest(groups, ALERTS, scenario),
    });
    if (r.status !== 0) throw new Error(r.output);
    expect(r.output).toMatch(/SUCCESS/);
  });

  it('has no cost alerts for a stack without a budget', () => {
    const alerts = costRuleGroups({ namespace: NS, confidenceShiftThreshold: SHIFT })
      .flatMap((g) => g.rules)
      .map((r) => ('alert' in r ? r.alert : r.record));
    expect(alerts).toContain(CONFIDENCE_ALERT);
    expect(alerts).not.toContain(COST_PER_1K_ALERT);
    expect(alerts).not.toContain(RUN_RATE_ALERT);
  });
});
