import {
  unknownCheckingProxy,
  UnknownValueError,
  type EnforcementLevel,
  type Policies,
  type Policy,
  type PolicyResource,
  type PolicyResourceOptions,
  type ResourceValidation,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  type Severity,
  type StackValidationArgs,
  type StackValidationPolicy,
} from '@pulumi/policy';
import type { PolicyPackConfig } from '../core/policy-config';

/**
 * Runs a policy pack over resources in-process, the way @pulumi/policy's analyzer server does for the
 * Pulumi engine: same argument shapes (type, props behind `unknownCheckingProxy`, urn, name, opts,
 * getConfig, isType/asType, notApplicable), same enforcement level resolution (policy config, then the
 * policy, then the pack), unknown values reported as advisory "can't run during preview", and
 * `remediate` treated as `mandatory`. The engine hands resource policies the inputs and stack policies
 * the outputs; under mocks the outputs echo the inputs, so both see `props` here.
 */
export interface EvaluatedResource {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  parent?: string;
}

export interface Violation {
  policyName: string;
  description: string;
  message: string;
  enforcementLevel: EnforcementLevel;
  severity?: Severity;
  /** The resource the violation is about; absent when it is about the stack as a whole. */
  urn?: string;
}

export interface EvaluationResult {
  violations: Violation[];
  /** Policies that ran against at least one resource (or the stack). */
  applied: string[];
  /** Per policy, how many resources it actually checked (1 for a stack policy that ran). */
  checked: Record<string, number>;
  notApplicable: { policyName: string; reason?: string }[];
}

export interface EvaluateOptions {
  /** Pack-wide default, as in `new PolicyPack(name, { enforcementLevel })`; Pulumi's default is advisory. */
  packEnforcementLevel?: EnforcementLevel;
  config?: PolicyPackConfig;
  stackTags?: ReadonlyMap<string, string>;
}

class NotApplicableError extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? 'Policy does not apply');
  }
}

const throwNotApplicable = (reason?: string): never => {
  throw new NotApplicableError(reason);
};

const DEFAULT_OPTS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

type ResourceClass = { __pulumiType?: string; isInstance?: (o: unknown) => boolean };

function pulumiTypeOf(obj: unknown): string | undefined {
  const t = (obj as { __pulumiType?: unknown } | undefined)?.__pulumiType;
  return typeof t === 'string' && t.length > 0 ? t : undefined;
}

function isTypeOf(type: string, resourceClass: ResourceClass): boolean {
  const t = pulumiTypeOf(resourceClass);
  if (t !== undefined) return type === t;
  return (
    typeof resourceClass.isInstance === 'function' &&
    resourceClass.isInstance({ __pulumiType: type }) === true
  );
}

function isResourcePolicy(p: Policy): p is ResourceValidationPolicy {
  const v = (p as ResourceValidationPolicy).validateResource;
  return typeof v === 'function' || Array.isArray(v);
}

function isStackPolicy(p: Policy): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === 'function';
}

function levelOf(p: Policy, opts: EvaluateOptions): EnforcementLevel {
  const configured = opts.config?.[p.name];
  const fromConfig = typeof configured === 'string' ? configured : configured?.enforcementLevel;
  const level = fromConfig ?? p.enforcementLevel ?? opts.packEnforcementLevel ?? 'advisory';
  return level === 'remediate' ? 'mandatory' : level;
}

function configOf(p: Policy, opts: EvaluateOptions): () => Record<string, unknown> {
  return () => {
    const configured = opts.config?.[p.name];
    if (configured === undefined || typeof configured === 'string') return {};
    const { enforcementLevel: _level, ...rest } = configured;
    return rest;
  };
}

/**
 * A plain deep copy: arrays and plain objects are rebuilt in this realm (structuredClone would build
 * them in another realm under jest's vm, where the proxy's `instanceof Object` test fails), anything
 * else (assets, archives) is kept as is.
 */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)]));
  }
  return value;
}

/** A fresh copy per call, like the engine's per-call deserialisation: a policy cannot mutate the next one's view. */
function freshProps(props: Record<string, unknown>): Record<string, unknown> {
  return unknownCheckingProxy(copy(props)) as Record<string, unknown>;
}

/**
 * What a resource looks like to a policy, resource or stack: its own fresh copy of the props, and
 * `isType` / `asType` answered from the resource's type token.
 */
function resourceView(r: EvaluatedResource) {
  const props = freshProps(r.props);
  return {
    type: r.type,
    props,
    urn: r.urn,
    name: r.name,
    opts: r.parent ? { ...DEFAULT_OPTS, parent: r.parent } : DEFAULT_OPTS,
    isType: (cls: unknown) => isTypeOf(r.type, cls as ResourceClass),
    asType: ((cls: ResourceClass) =>
      isTypeOf(r.type, cls) ? props : undefined) as ResourceValidationArgs['asType'] &
      PolicyResource['asType'],
  };
}

export async function evaluatePolicies(
  policies: Policies,
  resources: EvaluatedResource[],
  opts: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const result: EvaluationResult = { violations: [], applied: [], checked: {}, notApplicable: [] };
  const stackTags = opts.stackTags ?? new Map<string, string>();
  for (const p of policies) {
    const level = levelOf(p, opts);
    if (level === 'disabled') continue;
    const report = (urnDefault?: string) => (message: string, urn?: string) =>
      result.violations.push({
        policyName: p.name,
        description: p.description,
        message,
        enforcementLevel: level,
        severity: p.severity,
        urn: urnDefault ?? urn,
      });
    const onError = (e: unknown, what: string): void => {
      if (e instanceof UnknownValueError) {
        result.violations.push({
          policyName: p.name,
          description: p.description,
          message: `can't run policy '${p.name}' during preview: ${(e as Error).message}`,
          enforcementLevel: 'advisory',
          severity: p.severity,
          urn: what,
        });
      } else if (e instanceof NotApplicableError) {
        result.notApplicable.push({ policyName: p.name, reason: e.reason });
      } else {
        throw new Error(`policy '${p.name}' failed on ${what}: ${(e as Error).stack ?? String(e)}`);
      }
    };
    let ran = 0;
    if (isResourcePolicy(p) && p.validateResource !== undefined) {
      const validations: ResourceValidation[] = Array.isArray(p.validateResource)
        ? p.validateResource
        : [p.validateResource];
      for (const r of resources) {
        for (const validation of validations) {
          const fastType = pulumiTypeOf(validation);
          if (fastType !== undefined && fastType !== r.type) continue;
          const args: ResourceValidationArgs = {
            ...resourceView(r),
            stackTags,
            getConfig: configOf(p, opts) as ResourceValidationArgs['getConfig'],
            notApplicable: throwNotApplicable,
          };
          try {
            await validation(args, report(r.urn));
            ran += 1;
          } catch (e) {
            onError(e, r.urn);
          }
        }
      }
    }
    if (isStackPolicy(p)) {
      const byUrn = new Map<string, PolicyResource>();
      const stackResources = resources.map((r) => {
        const pr: PolicyResource = { ...resourceView(r), dependencies: [], propertyDependencies: {} };
        byUrn.set(r.urn, pr);
        return pr;
      });
      resources.forEach((r, i) => {
        const parent = r.parent ? byUrn.get(r.parent) : undefined;
        if (parent) stackResources[i].parent = parent;
      });
      const args: StackValidationArgs = {
        resources: stackResources,
        stackTags,
        getConfig: configOf(p, opts) as StackValidationArgs['getConfig'],
        notApplicable: throwNotApplicable,
      };
      try {
        await p.validateStack(args, report());
        ran += 1;
      } catch (e) {
        onError(e, 'the stack');
      }
    }
    if (ran > 0) {
      result.applied.push(p.name);
      result.checked[p.name] = ran;
    }
  }
  return result;
}

/** The engine fails a preview or update when any mandatory violation remains. */
export function hasMandatoryViolations(result: EvaluationResult): boolean {
  return result.violations.some((v) => v.enforcementLevel === 'mandatory');
}
