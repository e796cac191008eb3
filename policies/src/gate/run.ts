import { synthStack, type SynthResult } from '@ml-platform/infra/synth';
import { fixedContext } from '../core/context';
import { readPolicyConfig, stackPolicyConfigFile, type PolicyPackConfig } from '../core/policy-config';
import { guardrails, PACK_NAME } from '../guardrails';
import { evaluatePolicies, type EvaluationResult } from './evaluate';

export interface GateOptions {
  stack: string;
  /** A stack file to use instead of `Pulumi.<stack>.yaml` (the broken fixtures). */
  configFile?: string;
  /** Policy config JSON; defaults to the pack's `config/<stack>.json` when that exists. */
  policyConfigFile?: string;
}

export interface GateResult {
  pack: string;
  synth: SynthResult;
  policyConfigFile?: string;
  policyConfig: PolicyPackConfig;
  evaluation: EvaluationResult;
}

/**
 * The offline gate: synthesise the stack under mocks, then evaluate the whole pack (resource and stack
 * policies) over what it declared. The SLA, environment and budget the policies compare against come
 * from the same validated config the program ran with, and the cost from its own estimate.
 */
export async function runGate(opts: GateOptions): Promise<GateResult> {
  const synth = await synthStack(opts.stack, opts.configFile ? { configFile: opts.configFile } : {});
  const policies = guardrails(fixedContext(synth.config, () => synth.costEstimate.maxMonthlyUsd));
  const policyConfigFile = opts.policyConfigFile ?? stackPolicyConfigFile(opts.stack);
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
