import { histogramSeries, LABELS, METRICS } from '@ml-platform/contract/names';
import { ERROR_STATUS_REGEX } from './metric-names';

/** A label matcher list without braces, e.g. `namespace="inference"`; empty for none. */
export type Selector = string;

const join = (...parts: Selector[]): string => parts.filter((p) => p.length > 0).join(',');

/** Ratio of 5xx responses to all responses over `window`, by `by` labels (none: overall). */
export function errorRatio(window: string, selector: Selector = '', by: string[] = []): string {
  const grouping = by.length > 0 ? ` by (${by.join(', ')})` : '';
  const errors = `sum${grouping} (rate(${METRICS.requests.name}{${join(`${LABELS.status}=~"${ERROR_STATUS_REGEX}"`, selector)}}[${window}]))`;
  const total = `sum${grouping} (rate(${METRICS.requests.name}{${selector}}[${window}]))`;
  return `${errors} / ${total}`;
}

/** Request latency quantile in seconds over `window`, by `by` labels plus `le`. */
export function latencyQuantile(
  q: number,
  window: string,
  selector: Selector = '',
  by: string[] = [],
): string {
  return `histogram_quantile(${q}, sum by (${['le', ...by].join(', ')}) (rate(${histogramSeries(METRICS.requestDuration).bucket}{${selector}}[${window}])))`;
}

/** Requests per second over `window`. */
export function requestRate(window: string, selector: Selector = '', by: string[] = []): string {
  const grouping = by.length > 0 ? ` by (${by.join(', ')})` : '';
  return `sum${grouping} (rate(${METRICS.requests.name}{${selector}}[${window}]))`;
}
