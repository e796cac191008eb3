import type { Policies } from '@pulumi/policy';
import { engineContext, noStackContext } from './core/context';
import { readPolicyConfig, stackPolicyConfigFile, type PolicyPackConfig } from './core/policy-config';
import { guardrails } from './guardrails';

export interface PackSetup {
  stack?: string;
  policies: Policies;
  /**
   * The stack's own policy config (`config/<stack>.json`). The engine applies it over the policies'
   * defaults and applies `--policy-pack-config` over it, so `pulumi preview --policy-pack policies`
   * alone runs each stack with its waivers, and an explicit config still wins.
   */
  initialConfig?: PolicyPackConfig;
}

/**
 * What the pack serves for `stack`, given the config map the engine hands it (the one it hands the
 * program). `stack` is undefined when no engine runs the pack (`pulumi policy publish`).
 */
export function packSetup(stack: string | undefined, configMap: Readonly<Record<string, string>>): PackSetup {
  if (!stack) return { policies: guardrails(noStackContext()) };
  const policies = guardrails(engineContext(stack, configMap));
  const file = stackPolicyConfigFile(stack);
  return { stack, policies, ...(file ? { initialConfig: readPolicyConfig(file, policies) } : {}) };
}
