import { ModelConfigSchema, type ModelConfig } from '../repository/model-config';
import type { RolloutPolicy } from './controller';

type RolloutConfig = NonNullable<ModelConfig['rollout']>;

/** The schema's defaults, for models whose config has no `rollout` block (a rollout started by API). */
const DEFAULTS: RolloutConfig = ModelConfigSchema.parse({
  name: 'x',
  max_batch_size: 0,
  rollout: {},
}).rollout!;

/** The controller's view of a model config's `rollout` and `sla` blocks. */
export function rolloutPolicyOf(config: ModelConfig): RolloutPolicy {
  const r = config.rollout ?? DEFAULTS;
  return {
    steps: r.steps,
    windowMs: r.window_seconds * 1000,
    minRequests: r.min_requests,
    healthyWindows: r.healthy_windows,
    errorMargin: r.error_margin,
    alpha: r.alpha,
    checks: {
      errorRatio: r.checks.error_ratio,
      latency: r.checks.latency,
      drift: r.checks.drift,
      confidenceShift: r.checks.confidence_shift,
      shadowAgreement: r.checks.shadow_agreement,
    },
    p99LatencyMs: config.sla?.p99_latency_ms,
    driftThreshold: r.drift_psi_threshold ?? config.drift?.psi_threshold,
    confidenceShiftThreshold: r.confidence_shift_threshold ?? config.quality?.shift_threshold,
    minShadowAgreement: r.min_shadow_agreement,
    minShadowRows: r.min_shadow_rows,
    autoStart: r.auto_start,
  };
}
