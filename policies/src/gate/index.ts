// The offline gate API other packages use (`@ml-platform/policies/gate`): the whole pack evaluated over
// a stack synthesised under mocks, and the pack's own per-stack policy config.
export { runGate, type GateOptions, type GateResult } from './run';
export { evaluatePolicies, hasMandatoryViolations, type EvaluationResult, type Violation } from './evaluate';
export { formatReport, reportJson } from './report';
export { stackPolicyConfigFile, readPolicyConfig, type PolicyPackConfig } from '../core/policy-config';
export { packSetup, type PackSetup } from '../pack';
export { guardrails, PACK_NAME } from '../guardrails';
