import type { Sla } from '@ml-platform/stack-config';

/** A k6 threshold: an expression on one metric (`p(95)<=50`, `rate<=0.001`), optionally aborting the run. */
export interface ThresholdSpec {
  expression: string;
  abortOnFail: boolean;
  /** Seconds of data to collect before an abortOnFail threshold may stop the run. */
  delayAbortEvalSec?: number;
}

/** Metric name → its thresholds; metric names are k6's built-ins so the same set applies to k6 and the local runner. */
export type ThresholdSet = Record<string, ThresholdSpec[]>;

/** A breach this far past the SLA is not noise: stop the run instead of loading a broken deployment. */
export const GROSS_LATENCY_FACTOR = 3;
export const GROSS_ERROR_FACTOR = 10;
const MAX_GROSS_ERROR_RATE = 0.5;
const ABORT_DELAY_SEC = 10;

/** Rounds away float noise such as 1 - 0.001 = 0.9990000000000001 so the expressions stay readable. */
function tidy(n: number): number {
  return Number(n.toPrecision(10));
}

export function slaThresholds(sla: Sla): ThresholdSet {
  const errorRate = tidy(sla.errorRatePct / 100);
  const gross = (expression: string): ThresholdSpec => ({
    expression,
    abortOnFail: true,
    delayAbortEvalSec: ABORT_DELAY_SEC,
  });
  const plain = (expression: string): ThresholdSpec => ({ expression, abortOnFail: false });
  return {
    http_req_duration: [
      plain(`p(95)<=${sla.p95LatencyMs}`),
      plain(`p(99)<=${sla.p99LatencyMs}`),
      gross(`p(99)<=${tidy(sla.p99LatencyMs * GROSS_LATENCY_FACTOR)}`),
    ],
    http_req_failed: [
      plain(`rate<=${errorRate}`),
      // An SLA that already allows more than the cap keeps its own rate as the abort line.
      gross(
        `rate<=${tidy(Math.max(errorRate, Math.min(MAX_GROSS_ERROR_RATE, errorRate * GROSS_ERROR_FACTOR)))}`,
      ),
    ],
    checks: [plain(`rate>=${tidy(1 - errorRate)}`)],
  };
}

const OPERATORS = ['<=', '>=', '===', '==', '!=', '<', '>'] as const;
type Operator = (typeof OPERATORS)[number];

export interface ParsedThreshold {
  /** The statistic as k6 names it in a summary: `p(95)`, `avg`, `rate`, `count`, ... */
  stat: string;
  op: Operator;
  value: number;
}

const EXPRESSION =
  /^\s*(avg|min|max|med|count|rate|value|p\(\d+(?:\.\d+)?\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/;

export function parseThreshold(expression: string): ParsedThreshold {
  const m = EXPRESSION.exec(expression);
  if (!m) {
    throw new SyntaxError(
      `threshold "${expression}" is not "<stat> <op> <number>" (stat: avg|min|max|med|count|rate|value|p(N), op: ${OPERATORS.join(' ')})`,
    );
  }
  return { stat: normalizeStat(m[1]), op: m[2] as Operator, value: Number(m[3]) };
}

/** k6 prints `p(99.90)` and `p(99.9)` for the same statistic; use one spelling. */
export function normalizeStat(stat: string): string {
  const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat);
  return p ? `p(${Number(p[1])})` : stat;
}

export function compare(actual: number, op: Operator, limit: number): boolean {
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
    case '===':
      return actual === limit;
    case '!=':
      return actual !== limit;
  }
}

/** Every percentile the thresholds mention, so summaries are asked to compute them. */
export function percentilesUsed(set: ThresholdSet): number[] {
  const out = new Set<number>();
  for (const specs of Object.values(set)) {
    for (const s of specs) {
      const p = /^p\((.+)\)$/.exec(parseThreshold(s.expression).stat);
      if (p) out.add(Number(p[1]));
    }
  }
  return [...out].sort((a, b) => a - b);
}
