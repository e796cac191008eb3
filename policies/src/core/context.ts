import { loadStackConfig, type StackConfig } from '@ml-platform/stack-config';

/**
 * What stack-wide facts a policy compares resources against. The numbers come from the stack's
 * validated config (the one source of truth), never from the resources under test, so a resource that
 * drifted from the config is caught rather than trusted.
 */
export interface StackContext {
  stack: string;
  config: StackConfig;
  /** Monthly cost at maximum scale, from the stack program's own estimator; undefined when it has none. */
  maxMonthlyCostUsd: number | undefined;
}

export type ContextProvider = (stack: string) => StackContext;
export type MaxCostEstimator = (config: StackConfig, stack: string) => number | undefined;

/** Context from `Pulumi.<stack>.yaml`: what `pulumi preview --policy-pack policies` uses. */
export function stackFileContext(estimateMaxCost: MaxCostEstimator): ContextProvider {
  const cache = new Map<string, StackContext>();
  return (stack) => {
    let ctx = cache.get(stack);
    if (ctx === undefined) {
      const config = loadStackConfig(stack);
      ctx = { stack, config, maxMonthlyCostUsd: estimateMaxCost(config, stack) };
      cache.set(stack, ctx);
    }
    return ctx;
  };
}

/** Context from an already-parsed config: what the offline gate uses for `--config-file`. */
export function fixedContext(config: StackConfig, estimateMaxCost: MaxCostEstimator): ContextProvider {
  return (stack) => ({ stack, config, maxMonthlyCostUsd: estimateMaxCost(config, stack) });
}
