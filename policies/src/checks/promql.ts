/**
 * Just enough PromQL reading to compare an alert's thresholds with the SLA: the numbers on the right of
 * each `>`/`>=` comparison, as products/quotients of literals (`> 0.1`, `> (14.4 * 0.001)`).
 */
const NUMBER = String.raw`[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?`;
const PRODUCT = new RegExp(String.raw`^\(?\s*(${NUMBER}(?:\s*[*/]\s*${NUMBER})*)\s*\)?`);

function evaluate(product: string): number {
  const tokens = product.split(/\s*([*/])\s*/);
  let value = Number(tokens[0]);
  for (let i = 1; i < tokens.length; i += 2) {
    const n = Number(tokens[i + 1]);
    value = tokens[i] === '*' ? value * n : value / n;
  }
  return value;
}

export function comparisonThresholds(expr: string): number[] {
  const out: number[] = [];
  const re = />=?\s*(?:bool\s+)?/g;
  for (let m = re.exec(expr); m !== null; m = re.exec(expr)) {
    const rest = expr.slice(m.index + m[0].length);
    const product = PRODUCT.exec(rest);
    if (product) out.push(evaluate(product[1]));
  }
  return out;
}

/** `histogram_quantile(0.99, ...)`: the quantile literal, if the expression has one. */
export function quantiles(expr: string): number[] {
  return [...expr.matchAll(new RegExp(String.raw`histogram_quantile\s*\(\s*(${NUMBER})`, 'g'))].map((m) =>
    Number(m[1]),
  );
}

/** Milliseconds per unit of the latency metric, judged by Prometheus naming conventions. */
export function latencyUnitMs(expr: string): number | undefined {
  if (/_seconds(_bucket)?\b/.test(expr)) return 1000;
  if (/_(milliseconds|ms)(_bucket)?\b/.test(expr)) return 1;
  return undefined;
}

/** Prometheus duration (`5m`, `1h30m`, `90s`) in seconds. */
export function durationSeconds(text: string): number | undefined {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}
