import type { IncomingHttpHeaders } from 'node:http';
import type { ModelConfig } from '../repository/model-config';
import { route, type RouteDecision, type TrafficPolicy } from './router';

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

export interface TrafficRouterDeps {
  /** Throws a 404 ServiceError for an unknown model. */
  modelConfig(model: string): ModelConfig;
  random?: () => number;
  /** A running rollout's live stable and canary, which replace the config's (rollout/rollout-service.ts). */
  rollout?(model: string): { stable: string; canary?: { version: string; weightPct: number } } | undefined;
}

/** Step 5 (route) of http/infer-handler.ts: the adapter between a model's `traffic` config and the pure router. */
export class TrafficRouter {
  /** Keyed by the config object, so a reload with a new config is picked up with no invalidation. */
  private readonly policies = new WeakMap<ModelConfig, TrafficPolicy | undefined>();
  private readonly random: () => number;

  constructor(private readonly deps: TrafficRouterDeps) {
    this.random = deps.random ?? Math.random;
  }

  decide(model: string, explicitVersion: string | undefined, headers: IncomingHttpHeaders): RouteDecision {
    if (explicitVersion !== undefined) return { version: explicitVersion, variant: 'explicit' };
    const config = this.deps.modelConfig(model);
    let policy = this.policies.get(config);
    if (!this.policies.has(config)) {
      policy = trafficPolicyOf(config);
      this.policies.set(config, policy);
    }
    policy = withRollout(policy, this.deps.rollout?.(model));
    if (!policy) return { version: undefined, variant: 'stable' };
    const key = policy.ab && headers[policy.ab.keyHeader];
    return route(policy, { abKey: typeof key === 'string' ? key : undefined, random: this.random });
  }
}

/** A policy with a running rollout's live stable and canary in place of the config's. */
export function withRollout(
  policy: TrafficPolicy | undefined,
  rollout: { stable: string; canary?: { version: string; weightPct: number } } | undefined,
): TrafficPolicy | undefined {
  return rollout ? { ...policy, stable: rollout.stable, canary: rollout.canary } : policy;
}
