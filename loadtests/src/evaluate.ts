import { compare, normalizeStat, parseThreshold, type ThresholdSet } from './thresholds';

/** Metric name → statistic → value: the common shape of a k6 summary and of local results. */
export type SummaryMetrics = Record<string, Record<string, number>>;

export interface ThresholdResult {
  metric: string;
  expression: string;
  abortOnFail: boolean;
  /** The observed statistic, or null when the summary lacks it (which fails the threshold). */
  actual: number | null;
  ok: boolean;
  reason?: string;
}

export interface Verdict {
  passed: boolean;
  results: ThresholdResult[];
  /** True when an abortOnFail threshold is breached: the run should stop early. */
  grossBreach: boolean;
}

/** Judges metrics against thresholds exactly as k6 does at the end of a run. */
export function evaluateThresholds(thresholds: ThresholdSet, metrics: SummaryMetrics): Verdict {
  const results: ThresholdResult[] = [];
  for (const [metric, specs] of Object.entries(thresholds)) {
    for (const spec of specs) {
      const { stat, op, value } = parseThreshold(spec.expression);
      const values = metrics[metric];
      const actual = values?.[stat];
      const base = { metric, expression: spec.expression, abortOnFail: spec.abortOnFail };
      if (values === undefined) {
        results.push({ ...base, actual: null, ok: false, reason: `metric ${metric} has no samples` });
      } else if (actual === undefined || !Number.isFinite(actual)) {
        results.push({
          ...base,
          actual: null,
          ok: false,
          reason: `statistic ${stat} of ${metric} is not in the summary (add it to summaryTrendStats)`,
        });
      } else {
        results.push({ ...base, actual, ok: compare(actual, op, value) });
      }
    }
  }
  return {
    passed: results.every((r) => r.ok),
    results,
    grossBreach: results.some((r) => r.abortOnFail && !r.ok),
  };
}

interface K6MetricEntry {
  type?: string;
  values?: Record<string, number>;
  [stat: string]: unknown;
}

/**
 * Reads a k6 end-of-test summary: either the `data` object handed to handleSummary (stats under
 * `values`) or the file of `k6 run --summary-export` (stats inline, rates as `value`).
 */
export function metricsFromK6Summary(summary: unknown): SummaryMetrics {
  const metrics = (summary as { metrics?: Record<string, K6MetricEntry> } | null)?.metrics;
  if (!metrics || typeof metrics !== 'object') {
    throw new TypeError('not a k6 summary: expected an object with a "metrics" map');
  }
  const out: SummaryMetrics = {};
  for (const [name, entry] of Object.entries(metrics)) {
    const stats: Record<string, number> = {};
    const source = entry.values ?? entry;
    for (const [stat, v] of Object.entries(source)) {
      if (typeof v === 'number') stats[normalizeStat(stat)] = v;
    }
    // summary-export gives a Rate metric's ratio as `value` next to passes/fails.
    if (entry.values === undefined && stats.rate === undefined && 'passes' in stats && 'value' in stats) {
      stats.rate = stats.value;
    }
    out[name] = stats;
  }
  return out;
}
