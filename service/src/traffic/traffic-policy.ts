import type { ModelConfig } from '../repository/model-config';
import type { TrafficPolicy } from './router';

/** The router's view of a model config's `traffic` section. */
export function trafficPolicyOf(config: ModelConfig): TrafficPolicy | undefined {
  const t = config.traffic;
  if (!t) return undefined;
  return {
    stable: t.stable,
    canary: t.canary && { version: t.canary.version, weightPct: t.canary.weight_pct },
    ab: t.ab && {
      keyHeader: t.ab.key_header,
      variants: t.ab.variants.map((v) => ({ name: v.name, version: v.version, weightPct: v.weight_pct })),
    },
    shadow: t.shadow && { version: t.shadow.version, samplePct: t.shadow.sample_pct },
  };
}
