import type { Json } from '../helpers';
import { loadStackConfig } from '@ml-platform/stack-config';
import { alertmanagerConfig } from '../../src/monitoring/alertmanager';
import { serviceDashboard } from '../../src/monitoring/dashboard';
import { histogramSeries, METRICS } from '@ml-platform/contract/names';
import { GPU_UTILISATION } from '../../src/monitoring/metric-names';

describe('Alertmanager routing', () => {
  it('sends pages and tickets to SNS (SigV4) and/or a webhook, heartbeats nowhere', () => {
    const c = alertmanagerConfig({
      snsTopicArn: 'arn:aws:sns:us-east-1:1:alerts',
      region: 'us-east-1',
      webhookUrl: 'https://hook',
    }) as Json;
    const primary = c.receivers.find((r: Json) => r.name === 'primary');
    expect(primary.sns_configs[0]).toMatchObject({
      topic_arn: 'arn:aws:sns:us-east-1:1:alerts',
      sigv4: { region: 'us-east-1' },
    });
    expect(primary.webhook_configs).toEqual([{ url: 'https://hook', send_resolved: true }]);
    expect(c.route.routes.map((r: Json) => r.receiver)).toEqual(['null', 'primary', 'primary']);
    expect(c.inhibit_rules[0]).toMatchObject({
      source_matchers: ['severity = "page"'],
      target_matchers: ['severity = "ticket"'],
    });
  });

  it('has an empty primary receiver when nothing is configured', () => {
    const c = alertmanagerConfig({}) as Json;
    expect(c.receivers[1]).toEqual({ name: 'primary' });
  });
});

describe('Grafana dashboard', () => {
  const d = serviceDashboard({
    sla: loadStackConfig('prod').sla,
    namespace: 'inference',
    baseHourlyUsd: 1.5,
    gpuNodeHourlyUsd: 1.006,
    gpuNodeLabel: { metricLabel: 'label_ml_platform_pool', value: 'gpu' },
  }) as Json;
  const exprs = d.panels.flatMap((p: Json) => p.targets.map((t: Json) => t.expr)).join('\n');

  it('charts latency, RPS, errors, batch size, cache hits, GPU utilisation, cost, error budget and confidence', () => {
    expect(d.panels.map((p: Json) => p.title)).toEqual([
      'Latency percentiles (SLA p99 100 ms)',
      'Requests per second',
      'Error ratio (SLA 0.1%)',
      'Average batch size',
      'Cache hit rate',
      'Queue depth per pod',
      'GPU utilisation',
      'Cost per 1000 predictions (list prices)',
      'Cost per 1000 predictions by model (attributed)',
      'Serving run-rate per month vs budget',
      'Error budget remaining (30 days)',
      'Confidence shift (PSI vs held-out)',
    ]);
    for (const name of [
      METRICS.requests.name,
      histogramSeries(METRICS.requestDuration).bucket,
      METRICS.cacheHits.name,
      METRICS.cacheMisses.name,
      METRICS.queueDepth.name,
      GPU_UTILISATION,
      'inference:cost_per_1k_predictions_usd',
      'inference:cost_monthly_run_rate_usd',
      'inference:budget_monthly_limit_usd',
      'inference:error_budget_remaining:30d',
      METRICS.confidenceShift.name,
    ]) {
      expect(exprs).toContain(name);
    }
    expect(exprs).toContain(
      '(1.5000 + 1.0060 * (count(kube_node_labels{label_ml_platform_pool="gpu"}) or vector(0)))',
    );
  });
});
