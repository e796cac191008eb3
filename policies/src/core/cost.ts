import type { StackConfig } from '@ml-platform/stack-config';
import { estimateMonthlyCost } from '@ml-platform/infra/src/budget/cost-estimate';
import { resolveSettings } from '@ml-platform/infra/src/settings';

/** The stack program's own estimator, so the policy and the program's `costEstimate` output agree. */
export function programMaxMonthlyCost(config: StackConfig, stack: string): number {
  return estimateMonthlyCost(resolveSettings(config, stack)).maxMonthlyUsd;
}

/** The cost allocation tag key the stack's budget filters on. */
export function costAllocationTag(config: StackConfig, stack: string): string | undefined {
  return resolveSettings(config, stack).budget?.costAllocationTag;
}
