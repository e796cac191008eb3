import { estimateMonthlyCost, resolveConfigMap, type StackConfig } from '@ml-platform/stack-config';

/**
 * What stack-wide facts a policy compares resources against. The numbers come from the stack's
 * validated config (the one source of truth), never from the resources under test, so a resource that
 * drifted from the config is caught rather than trusted.
 */
export interface StackContext {
  stack: string;
  config: StackConfig;
  /** Monthly cost at maximum scale, from the estimator the stack program reports as `costEstimate`. */
  maxMonthlyCostUsd: number | undefined;
}

export type ContextProvider = (stack: string) => StackContext;
export type MaxCostEstimator = (config: StackConfig) => number | undefined;

const programMaxCost: MaxCostEstimator = (config) => estimateMonthlyCost(config).maxMonthlyUsd;

/** Context from an already-validated config: what the offline gate (and the tests) use. */
export function fixedContext(
  config: StackConfig,
  estimateMaxCost: MaxCostEstimator = programMaxCost,
): ContextProvider {
  return (stack) => ({ stack, config, maxMonthlyCostUsd: estimateMaxCost(config) });
}

/**
 * Context under `pulumi preview` / `up`. The engine starts the pack with the stack's name and the same
 * config map it hands the program (`PULUMI_NODEJS_STACK`, `PULUMI_CONFIG`), and the map is validated
 * by the same function as the program's and offline synth's: schema, price table and `aws:region`.
 * It throws at once, so a bad stack value stops the pack with the program's own message.
 */
export function engineContext(stack: string, configMap: Readonly<Record<string, string>>): ContextProvider {
  // One pack process serves the one stack the engine started it for, whatever name a URN carries.
  return fixedContext(resolveConfigMap(configMap, `stack ${stack}`));
}

/** Outside an engine run (`pulumi policy publish`, a bare start) no stack is known to check against. */
export function noStackContext(): ContextProvider {
  return (asked) => {
    throw new Error(
      `no stack config for "${asked}": the pack reads it from the engine under \`pulumi preview\` or \`pulumi up\``,
    );
  };
}
