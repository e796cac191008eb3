import { Budget } from './budget/budget';
import { estimateMonthlyCost } from './budget/cost-estimate';
import type { PlatformSettings } from './settings';
import { registerStackTagging } from './tagging';

/** Composes the components for one stack and returns its outputs. */
export async function createPlatform(s: PlatformSettings): Promise<Record<string, unknown>> {
  if (!s.isLocal) registerStackTagging(s.tags);
  const costEstimate = estimateMonthlyCost(s);
  if (s.budget) {
    new Budget('budget', {
      monthlyLimitUsd: s.budget.monthlyLimitUsd,
      alertThresholdsPct: s.budget.alertThresholdsPct,
      emails: s.budget.emails,
      costAllocationTag: { key: s.budget.costAllocationTag, value: s.stack },
    });
  }
  return { environment: s.environment, costEstimate };
}
