/**
 * Entry point of the `ml-platform-guardrails` policy pack: `pulumi preview --policy-pack policies`.
 * Constructing a PolicyPack starts the analyzer server the Pulumi CLI talks to, so nothing else may
 * import this file; tests and the offline gate import `@ml-platform/policies/gate` instead.
 */
import { PolicyPack } from '@pulumi/policy';
import * as pulumi from '@pulumi/pulumi';
import { ConfigError } from '@ml-platform/stack-config';
import { PACK_NAME } from './src/guardrails';
import { packSetup, type PackSetup } from './src/pack';

// The engine starts a Node.js pack with the stack's name in PULUMI_NODEJS_STACK and its config in
// PULUMI_CONFIG (which allConfig() reads). pulumi.getStack() is not used: without the variable it
// answers a placeholder name instead of none.
let setup: PackSetup;
try {
  setup = packSetup(process.env.PULUMI_NODEJS_STACK, pulumi.runtime.allConfig());
} catch (e) {
  // The engine shows the pack's stderr: the same message the program and offline synth give.
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}

new PolicyPack(
  PACK_NAME,
  {
    description:
      'SLA alarms, rate limiting and auth, budgets, GPU, Redis, workload and cost-tag guardrails for ml-platform stacks.',
    enforcementLevel: 'mandatory',
    policies: setup.policies,
  },
  setup.initialConfig,
);
