/**
 * Entry point of the `ml-platform-guardrails` policy pack: `pulumi preview --policy-pack policies`.
 * Constructing a PolicyPack starts the analyzer server the Pulumi CLI talks to, so nothing else may
 * import this file; tests and the offline gate import `src/guardrails` instead.
 */
import { PolicyPack } from '@pulumi/policy';
import { guardrails, PACK_NAME } from './src/guardrails';
import { stackFileContext } from './src/core/context';
import { programMaxMonthlyCost } from './src/core/cost';

new PolicyPack(PACK_NAME, {
  description:
    'SLA alarms, rate limiting and auth, budgets, GPU, Redis, workload and cost-tag guardrails for ml-platform stacks.',
  enforcementLevel: 'mandatory',
  policies: guardrails(stackFileContext(programMaxMonthlyCost)),
});
