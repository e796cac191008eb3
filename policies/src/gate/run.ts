import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '@ml-platform/stack-config';
import { synthStack, type SynthResult } from '@ml-platform/infra/src/synth/run';
import { fixedContext } from '../core/context';
import { guardrails, PACK_NAME } from '../guardrails';
import { evaluatePolicies, type EvaluationResult } from './evaluate';
import { readPolicyConfig, type PolicyPackConfig } from './policy-config';

export interface GateOptions {
  stack: string;
  /** A stack file to use instead of `Pulumi.<stack>.yaml` (the broken fixtures). */
  configFile?: string;
  /** Policy config JSON; defaults to `policies/config/<stack>.json` when that exists. */
  policyConfigFile?: string;
}

export interface GateResult {
  pack: string;
  synth: SynthResult;
  policyConfigFile?: string;
  policyConfig: PolicyPackConfig;
  evaluation: EvaluationResult;
}

export const POLICY_CONFIG_DIR = path.join(REPO_ROOT, 'policies', 'config');

export function defaultPolicyConfigFile(stack: string): string | undefined {
  const file = path.join(POLICY_CONFIG_DIR, `${stack}.json`);
  return fs.existsSync(file) ? file : undefined;
}

/**
 * The offline gate: synthesise the stack under mocks, then evaluate the whole pack (resource and stack
 * policies) over what it declared. The SLA, environment and budget the policies compare against come
 * from the same validated config the program ran with, and the cost from its own estimate.
 */
export async function runGate(opts: GateOptions): Promise<GateResult> {
  const synth = await synthStack(opts.stack, opts.configFile ? { configFile: opts.configFile } : {});
  const policies = guardrails(fixedContext(synth.config, () => synth.costEstimate.maxMonthlyUsd));
  const policyConfigFile = opts.policyConfigFile ?? defaultPolicyConfigFile(opts.stack);
  const config: PolicyPackConfig = policyConfigFile ? readPolicyConfig(policyConfigFile, policies) : {};
  const evaluation = await evaluatePolicies(
    policies,
    synth.resources.map((r) => ({
      type: r.type,
      name: r.name,
      urn: r.urn,
      parent: r.parent,
      props: r.inputs,
    })),
    { packEnforcementLevel: 'mandatory', config },
  );
  return { pack: PACK_NAME, synth, policyConfigFile, policyConfig: config, evaluation };
}
