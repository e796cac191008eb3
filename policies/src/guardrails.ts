import type { Policies } from '@pulumi/policy';
import { prodAvailabilityPolicy } from './checks/availability';
import { budgetCoversMaxCostPolicy, budgetNotificationsPolicy } from './checks/budget';
import { costAlertsPolicy } from './checks/cost-alerts';
import { costAllocationTagsPolicy } from './checks/cost-tags';
import { gpuNodeGroupsPolicy } from './checks/gpu-node-groups';
import { grpcEndpointPolicy } from './checks/grpc-endpoint';
import {
  inferenceAuthPolicy,
  inferenceRateLimitPolicy,
  publicIngressWafPolicy,
} from './checks/rate-limit-auth';
import { redisEncryptionPolicy, redisHighAvailabilityPolicy, redisNotPublicPolicy } from './checks/redis';
import { cloudwatchAlarmActionsPolicy, slaAlertsPolicy } from './checks/sla-alerts';
import {
  workloadImagePinnedPolicy,
  workloadProbesPolicy,
  workloadResourcesPolicy,
  workloadSecurityContextPolicy,
} from './checks/workload-hardening';
import type { ContextProvider } from './core/context';
import type { Guardrail } from './core/define';

export const PACK_NAME = 'ml-platform-guardrails';

/** Every policy of the pack, in the order the engine reports them. Each lives whole in `checks/`. */
export const GUARDRAILS: readonly Guardrail[] = [
  slaAlertsPolicy,
  cloudwatchAlarmActionsPolicy,
  inferenceRateLimitPolicy,
  inferenceAuthPolicy,
  publicIngressWafPolicy,
  grpcEndpointPolicy,
  budgetNotificationsPolicy,
  budgetCoversMaxCostPolicy,
  costAlertsPolicy,
  gpuNodeGroupsPolicy,
  redisEncryptionPolicy,
  redisHighAvailabilityPolicy,
  redisNotPublicPolicy,
  workloadResourcesPolicy,
  workloadSecurityContextPolicy,
  workloadImagePinnedPolicy,
  workloadProbesPolicy,
  prodAvailabilityPolicy,
  costAllocationTagsPolicy,
];

/**
 * The pack's policies. `context` supplies each stack's validated config (SLA, environment, budget) and
 * cost estimate: from the engine under `pulumi preview`, from the config under test in the gate.
 */
export function guardrails(context: ContextProvider): Policies {
  return GUARDRAILS.map((guardrail) => guardrail(context));
}
