import type { ModelConfig } from '@ml-platform/service/repository/model-config';
import type { Comparison } from './evaluate';

export type GateConfig = NonNullable<ModelConfig['optimization']>;

/** The gate used when a model's config has no `optimization` block. */
export const DEFAULT_GATE: GateConfig = {
  max_metric_drop: 0.005,
  min_agreement: 0.99,
  canary_weight_pct: 10,
};

export interface GateResult {
  passed: boolean;
  /** One line per failed threshold, with the numbers. */
  failures: string[];
}

const f = (x: number) => x.toFixed(4);

/** Judges a comparison against the thresholds. Pure. */
export function judge(c: Comparison, gate: GateConfig): GateResult {
  const failures: string[] = [];
  const { name, original, optimized, drop } = c.metric;
  if (drop > gate.max_metric_drop) {
    const change = name === 'mae' ? 'rose' : 'fell';
    failures.push(
      `max_metric_drop: ${name} ${change} by ${f(drop)} (${f(original)} -> ${f(optimized)}), more than the allowed ${gate.max_metric_drop}`,
    );
  }
  if (c.agreement !== null && c.agreement < gate.min_agreement) {
    failures.push(
      `min_agreement: top-1 agreement ${f(c.agreement)} is below the required ${gate.min_agreement}`,
    );
  }
  return { passed: failures.length === 0, failures };
}
