import { errorBudgetRatio, listStacks, loadStackConfig, type Sla } from '@ml-platform/stack-config';
import { histogramSeries, METRICS } from '@ml-platform/contract/names';
import { burnThreshold, ERROR_BUDGET_REMAINING_RECORD, slaRuleGroups } from '../../src/monitoring/sla-rules';
import { alertRuleTest, gauge, hasPromtool, promtool, series, type InputSeries } from '../promtool';

const NS = 'inference';
const DRIFT = 0.2;
const QUEUE = 50;
const ALERTS = [
  'InferenceErrorBudgetBurnFast',
  'InferenceErrorBudgetBurnSlow',
  'InferenceLatencyP99AboveSla',
  'InferenceQueueSaturated',
  'InferenceRedisDegraded',
  'InferenceModelDrift',
  'InferenceModelRolledBack',
] as const;
type AlertName = (typeof ALERTS)[number];

const mv = { namespace: NS, model: 'resnet', version: '1' };
type Series = InputSeries;
interface Scenario {
  name: string;
  series: Series[];
  evalMinutes: number;
  /** Alerts expected to be firing at the eval time (with their labels); every other alert must be silent. */
  firing: Partial<Record<AlertName, Record<string, string>>>;
}

/** Request counters at 1000 requests/minute, one sample per minute; phases are [minutes, 5xx ratio]. */
function requests(phases: [number, number][]): Series[] {
  const ok: number[] = [0];
  const err: number[] = [0];
  for (const [minutes, ratio] of phases) {
    for (let i = 0; i < minutes; i++) {
      ok.push(ok[ok.length - 1] + 1000 * (1 - ratio));
      err.push(err[err.length - 1] + 1000 * ratio);
    }
  }
  return [
    { series: series(METRICS.requests.name, { ...mv, status: '200' }), values: ok.join(' ') },
    { series: series(METRICS.requests.name, { ...mv, status: '500' }), values: err.join(' ') },
  ];
}

/** Latency histogram with buckets around the SLA p99; `slowShare` of requests land in (2x, 4x] p99. */
function latency(sla: Sla, slowShare: number, minutes: number): Series[] {
  const p99 = sla.p99LatencyMs / 1000;
  const bounds = [p99 * 0.25, p99 * 0.5, p99, p99 * 2, p99 * 4];
  const perMinute = 1000;
  const fast = perMinute * (1 - slowShare);
  const cumulative = [0, fast, fast, fast, perMinute, perMinute];
  return [...bounds.map(String), '+Inf'].map((le, i) => ({
    series: series(histogramSeries(METRICS.requestDuration).bucket, { ...mv, le }),
    values: `0+${cumulative[i]}x${minutes}`,
  }));
}

function scenarios(sla: Sla): Scenario[] {
  const b = errorBudgetRatio(sla);
  const burn = (factor: number) => Math.min(0.95, factor * b);
  const burnLabels = (severity: string) => ({
    model: mv.model,
    version: mv.version,
    severity,
    slo: 'error-rate',
  });
  const list: Scenario[] = [
    {
      name: 'healthy traffic fires nothing',
      series: [
        ...requests([[480, 0.5 * b]]),
        ...latency(sla, 0, 480),
        gauge(METRICS.queueDepth.name, { ...mv, pod: 'a' }, QUEUE / 2, 480),
        gauge(METRICS.redisUp.name, { namespace: NS, pod: 'a' }, 1, 480),
        gauge(METRICS.driftScore.name, { ...mv, pod: 'a' }, DRIFT / 2, 480),
        // A canary in progress and its stable version are no reason to alert.
        gauge(METRICS.rolloutState.name, { ...mv, version: '2', pod: 'a' }, 1, 480),
        gauge(METRICS.rolloutState.name, { ...mv, pod: 'a' }, 0, 480),
      ],
      evalMinutes: 420,
      firing: {},
    },
    // A fast burn is also a slow one: the ticket fires too (Alertmanager inhibits it while the page is up).
    {
      name: 'fast burn over 1h/5m pages',
      series: requests([[90, burn(20)]]),
      evalMinutes: 70,
      firing: {
        InferenceErrorBudgetBurnFast: burnLabels('page'),
        InferenceErrorBudgetBurnSlow: burnLabels('ticket'),
      },
    },
    {
      name: 'the page resolves soon after errors stop (short window), the ticket stays',
      series: requests([
        [60, burn(20)],
        [60, 0],
      ]),
      evalMinutes: 100,
      firing: { InferenceErrorBudgetBurnSlow: burnLabels('ticket') },
    },
    {
      // Rates over the long windows use the data there is, so 7 hours exercise the 3d/6h pair.
      name: 'slow burn over 3d/6h opens a ticket, not a page',
      series: requests([[480, burn(1.5)]]),
      evalMinutes: 420,
      firing: { InferenceErrorBudgetBurnSlow: burnLabels('ticket') },
    },
    {
      name: 'p99 latency above the SLA pages',
      series: latency(sla, 0.1, 30),
      evalMinutes: 20,
      firing: {
        InferenceLatencyP99AboveSla: {
          model: mv.model,
          version: mv.version,
          severity: 'page',
          slo: 'latency-p99',
        },
      },
    },
    {
      name: 'queue saturation pages',
      series: [
        gauge(METRICS.queueDepth.name, { ...mv, pod: 'a' }, QUEUE + 10, 30),
        gauge(METRICS.queueDepth.name, { ...mv, pod: 'b' }, QUEUE + 20, 30),
      ],
      evalMinutes: 20,
      firing: {
        InferenceQueueSaturated: {
          model: mv.model,
          version: mv.version,
          severity: 'page',
          slo: 'saturation',
        },
      },
    },
    {
      name: 'one pod without Redis opens a ticket',
      series: [
        gauge(METRICS.redisUp.name, { namespace: NS, pod: 'a' }, 1, 30),
        gauge(METRICS.redisUp.name, { namespace: NS, pod: 'b' }, 0, 30),
      ],
      evalMinutes: 10,
      firing: { InferenceRedisDegraded: { namespace: NS, severity: 'ticket', slo: 'dependency' } },
    },
    {
      name: 'drift above the threshold opens a ticket',
      series: [gauge(METRICS.driftScore.name, { ...mv, pod: 'a' }, DRIFT + 0.1, 40)],
      evalMinutes: 30,
      firing: {
        InferenceModelDrift: { model: mv.model, version: mv.version, severity: 'ticket', slo: 'drift' },
      },
    },
    {
      name: 'a canary rolled back on any pod opens a ticket',
      series: [
        gauge(METRICS.rolloutState.name, { ...mv, version: '2', pod: 'a' }, 3, 20),
        gauge(METRICS.rolloutState.name, { ...mv, version: '2', pod: 'b' }, 1, 20),
      ],
      evalMinutes: 10,
      firing: {
        InferenceModelRolledBack: { model: mv.model, version: '2', severity: 'ticket', slo: 'rollout' },
      },
    },
  ];
  // The 6h/30m pair on its own: fast enough to page, too slow for the 1h/5m pair.
  if (burnThreshold(sla, 14.4) > burn(8) && burnThreshold(sla, 6) < burn(8)) {
    list.push({
      name: 'sustained burn over 6h/30m pages',
      series: requests([[420, burn(8)]]),
      evalMinutes: 400,
      firing: {
        InferenceErrorBudgetBurnFast: burnLabels('page'),
        InferenceErrorBudgetBurnSlow: burnLabels('ticket'),
      },
    });
  }
  return list;
}

const d = hasPromtool ? describe : describe.skip;

d.each(listStacks())('SLA rules of stack %s under promtool', (stack) => {
  const sla = loadStackConfig(stack).sla;
  const groups = slaRuleGroups({ sla, namespace: NS, driftThreshold: DRIFT, queueSaturationDepth: QUEUE });

  it('pass promtool check rules', () => {
    const r = promtool((dir) => ['check', 'rules', `${dir}/rules.yaml`], { 'rules.yaml': { groups } });
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
  });

  it.each(scenarios(sla).map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
    const r = promtool(() => ['test', 'rules', 'test.yaml'], {
      'rules.yaml': { groups },
      'test.yaml': alertRuleTest(groups, ALERTS, scenario),
    });
    if (r.status !== 0) throw new Error(r.output);
    expect(r.output).toMatch(/SUCCESS/);
  });
});

d('the error budget remaining under promtool', () => {
  const sla = loadStackConfig('prod').sla;
  const groups = slaRuleGroups({ sla, namespace: NS, driftThreshold: DRIFT, queueSaturationDepth: QUEUE });
  const b = errorBudgetRatio(sla);

  it.each([
    ['untouched without errors', 0, 1],
    ['half spent at half the budget', 0.5, 0.5],
    ['overspent below 0 at twice the budget', 2, -1],
  ])('%s', (_name, share, remaining) => {
    const r = promtool(() => ['test', 'rules', 'test.yaml'], {
      'rules.yaml': { groups },
      'test.yaml': {
        rule_files: ['rules.yaml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: requests([[120, share * b]]),
            promql_expr_test: [
              {
                expr: `round(${ERROR_BUDGET_REMAINING_RECORD}, 0.001)`,
                eval_time: '100m',
                exp_samples: [{ labels: `{model="${mv.model}", version="${mv.version}"}`, value: remaining }],
              },
            ],
          },
        ],
      },
    });
    if (r.status !== 0) throw new Error(r.output);
    expect(r.output).toMatch(/SUCCESS/);
  });
});
