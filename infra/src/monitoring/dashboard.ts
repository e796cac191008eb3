import type { Sla } from '@ml-platform/stack-config';
import { histogramSeries, LABELS, METRICS, MODEL_LABELS } from '@ml-platform/contract/names';
import { GPU_UTILISATION } from './metric-names';
import { BUDGET_RECORD, COST_PER_1K_RECORD, RUN_RATE_RECORD } from './cost-rules';
import { errorRatio, latencyQuantile, requestRate } from './promql';
import { ERROR_BUDGET_REMAINING_RECORD } from './sla-rules';

export interface DashboardOptions {
  sla: Sla;
  namespace: string;
  /** Hourly cost of everything but GPU nodes at minimum scale (from the cost estimate). */
  baseHourlyUsd: number;
  /** Hourly cost of one GPU node (dearest configured type); 0 without GPU groups. */
  gpuNodeHourlyUsd: number;
  /** Node label kube-state-metrics exports for GPU nodes, e.g. `label_ml_platform_pool`. */
  gpuNodeLabel: { metricLabel: string; value: string };
}

interface Panel {
  id: number;
  title: string;
  type: 'timeseries' | 'stat';
  gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig: { defaults: { unit: string; thresholds?: unknown }; overrides: [] };
  targets: { refId: string; expr: string; legendFormat: string }[];
}

/**
 * The service dashboard as Grafana JSON: latency percentiles against the SLA, throughput, errors,
 * batching, cache, GPU utilisation and the running cost per 1000 predictions.
 */
export function serviceDashboard(o: DashboardOptions): Record<string, unknown> {
  const ns = `namespace="${o.namespace}"`;
  const batchSize = histogramSeries(METRICS.batchSize);
  const memoryTier = `${LABELS.tier}="memory"`;
  const by = [...MODEL_LABELS];
  const gpuNodes = `(count(kube_node_labels{${o.gpuNodeLabel.metricLabel}="${o.gpuNodeLabel.value}"}) or vector(0))`;
  const hourlyCost = `(${o.baseHourlyUsd.toFixed(4)} + ${o.gpuNodeHourlyUsd.toFixed(4)} * ${gpuNodes})`;
  const panels: Panel[] = [];
  const add = (
    title: string,
    unit: string,
    targets: [string, string][],
    type: Panel['type'] = 'timeseries',
  ) => {
    const i = panels.length;
    panels.push({
      id: i + 1,
      title,
      type,
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      fieldConfig: { defaults: { unit }, overrides: [] },
      targets: targets.map(([expr, legendFormat], j) => ({
        refId: String.fromCharCode(65 + j),
        expr,
        legendFormat,
      })),
    });
  };
  add('Latency percentiles (SLA p99 ' + o.sla.p99LatencyMs + ' ms)', 's', [
    [latencyQuantile(0.5, '5m', ns, by), 'p50 {{model}}/{{version}}'],
    [latencyQuantile(0.95, '5m', ns, by), 'p95 {{model}}/{{version}}'],
    [latencyQuantile(0.99, '5m', ns, by), 'p99 {{model}}/{{version}}'],
    [`vector(${o.sla.p99LatencyMs / 1000})`, 'SLA p99'],
  ]);
  add('Requests per second', 'reqps', [
    [requestRate('1m', ns, by), '{{model}}/{{version}}'],
    [`vector(${o.sla.peakRps})`, 'SLA peak'],
  ]);
  add(`Error ratio (SLA ${o.sla.errorRatePct}%)`, 'percentunit', [
    [errorRatio('5m', ns, by), '{{model}}/{{version}}'],
    [`vector(${o.sla.errorRatePct / 100})`, 'SLA'],
  ]);
  add('Average batch size', 'short', [
    [
      `sum by (model, version) (rate(${batchSize.sum}{${ns}}[5m])) / ` +
        `sum by (model, version) (rate(${batchSize.count}{${ns}}[5m]))`,
      '{{model}}/{{version}}',
    ],
  ]);
  add('Cache hit rate', 'percentunit', [
    [
      `sum by (model, version) (rate(${METRICS.cacheHits.name}{${ns}}[5m])) / ` +
        `(sum by (model, version) (rate(${METRICS.cacheHits.name}{${ns},${memoryTier}}[5m])) + sum by (model, version) (rate(${METRICS.cacheMisses.name}{${ns},${memoryTier}}[5m])))`,
      '{{model}}/{{version}}',
    ],
  ]);
  add('Queue depth per pod', 'short', [
    [`avg by (model, version) (${METRICS.queueDepth.name}{${ns}})`, '{{model}}/{{version}}'],
  ]);
  add('GPU utilisation', 'percent', [
    [`avg by (Hostname, gpu) (${GPU_UTILISATION})`, '{{Hostname}} GPU {{gpu}}'],
  ]);
  add(
    'Cost per 1000 predictions (list prices)',
    'currencyUSD',
    [[`${hourlyCost} / (${requestRate('1h', ns)} * 3600 / 1000)`, 'USD / 1k']],
    'stat',
  );
  add('Cost per 1000 predictions by model (attributed)', 'currencyUSD', [
    [COST_PER_1K_RECORD, '{{model}}/{{version}}'],
  ]);
  add('Serving run-rate per month vs budget', 'currencyUSD', [
    [RUN_RATE_RECORD, 'run-rate'],
    [BUDGET_RECORD, 'budget'],
  ]);
  add('Error budget remaining (30 days)', 'percentunit', [
    [ERROR_BUDGET_REMAINING_RECORD, '{{model}}/{{version}}'],
  ]);
  add('Confidence shift (PSI vs held-out)', 'short', [
    [`max by (model, version) (${METRICS.confidenceShift.name}{${ns}})`, 'confidence {{model}}/{{version}}'],
    [
      `max by (model, version) (${METRICS.predictionDrift.name}{${ns}})`,
      'predicted classes {{model}}/{{version}}',
    ],
  ]);
  return {
    uid: `ml-platform-${o.namespace}`,
    title: 'ML platform: inference service',
    tags: ['ml-platform', 'inference'],
    timezone: 'utc',
    schemaVersion: 39,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: { list: [] },
    panels,
  };
}
