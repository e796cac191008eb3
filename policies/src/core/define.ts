import { validateResourceOfType } from '@pulumi/policy';
import type { Resource } from '@pulumi/pulumi';
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationArgs,
  StackValidationPolicy,
} from '@pulumi/policy';
import type { PolicyConfigJSONSchema } from '@pulumi/policy/schema';
import type { ContextProvider, StackContext } from './context';
import { stackOfUrn, type PlainResource } from './resources';

/** A threshold or list a stack can tune through policy config; `default` is what applies otherwise. */
export type Setting<T = unknown> = Omit<PolicyConfigJSONSchema, 'default'> & {
  default: T;
  description: string;
};

export interface GuardrailMeta<S extends Record<string, Setting>> {
  name: string;
  description: string;
  severity: Severity;
  enforcementLevel: EnforcementLevel;
  /** What to change when the policy fires. */
  remediation: string;
  settings: S;
}

export const stringList = (dflt: string[], description: string): Setting<string[]> => ({
  type: 'array',
  items: { type: 'string' },
  default: dflt,
  description,
});

export const numberSetting = (dflt: number, description: string, minimum = 0): Setting<number> => ({
  type: 'number',
  minimum,
  default: dflt,
  description,
});

export const booleanSetting = (dflt: boolean, description: string): Setting<boolean> => ({
  type: 'boolean',
  default: dflt,
  description,
});

/** Environments a policy applies to (or is waived in), by `ml-platform:environment`. */
export const environments = stringList;

export type SettingValues<S extends Record<string, Setting>> = { [K in keyof S]: S[K]['default'] };

/** Settings every guardrail accepts: waivers by resource name, with the reason kept in the config file. */
export interface CommonSettings {
  exemptResources: string[];
  exemptionReason: string;
}

const COMMON_SETTINGS: { [K in keyof CommonSettings]: Setting<CommonSettings[K]> } = {
  exemptResources: {
    type: 'array',
    items: { type: 'string' },
    default: [],
    description:
      'Resource names (the Pulumi name, not the cloud name) this policy skips: a per-stack waiver.',
  },
  exemptionReason: {
    type: 'string',
    default: '',
    description: 'Why the exempt resources are waived; required whenever exemptResources is not empty.',
  },
};

export type Finding = string | { message: string; urn?: string };

export interface CheckEnv<V> {
  /** Marks the policy not applicable here (the engine lists it so; it counts as not checked). */
  notApplicable: (reason: string) => never;
  settings: V & CommonSettings;
  /** Loaded on first use: most resource checks never need the stack's config. */
  context: () => StackContext;
}

function configSchema(settings: Record<string, Setting>): PolicyConfigSchema {
  const properties: Record<string, PolicyConfigJSONSchema> = {};
  for (const [key, setting] of Object.entries({ ...COMMON_SETTINGS, ...settings })) {
    properties[key] = setting as PolicyConfigJSONSchema;
  }
  return { properties };
}

function resolveSettings<S extends Record<string, Setting>>(
  settings: S,
  configured: Record<string, unknown>,
): SettingValues<S> & CommonSettings {
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries({ ...COMMON_SETTINGS, ...settings })) {
    out[key] = configured[key] ?? setting.default;
  }
  return out as SettingValues<S> & CommonSettings;
}

function contextFor(provider: ContextProvider, urn: string): () => StackContext {
  return () => {
    const stack = stackOfUrn(urn);
    if (stack === undefined) throw new Error(`cannot tell the stack from URN ${urn}`);
    return provider(stack);
  };
}

function metaFields<S extends Record<string, Setting>>(meta: GuardrailMeta<S>) {
  return {
    name: meta.name,
    description: meta.description,
    severity: meta.severity,
    enforcementLevel: meta.enforcementLevel,
    remediationSteps: meta.remediation,
    configSchema: configSchema(meta.settings),
  };
}

/** A generated Pulumi resource class (e.g. `aws.budgets.Budget`); at run time it carries its type token. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ResourceClass = new (name: string, args: any, ...rest: any[]) => Resource;

function isResourceClass(t: unknown): t is ResourceClass {
  return typeof t === 'function' && typeof (t as { __pulumiType?: unknown }).__pulumiType === 'string';
}

/** Marks a validation with the one type it applies to, so the engine skips other resources cheaply. */
function tagType<F extends object>(fn: F, types: readonly string[]): F {
  if (types.length === 1) (fn as { __pulumiType?: string }).__pulumiType = types[0];
  return fn;
}

/**
 * One whole policy (metadata, config schema and check), waiting for the stack context it checks
 * against: the stack files' under `pulumi preview`, the config under test in the offline gate.
 */
export type Guardrail = (provider: ContextProvider) => ResourceValidationPolicy | StackValidationPolicy;

/**
 * A resource policy over the given types. The check is a plain function from a resource to findings;
 * this adapter does the @pulumi/policy plumbing: type filtering, config defaults, waivers, reporting.
 */
export function resourceGuardrail<S extends Record<string, Setting>>(
  meta: GuardrailMeta<S>,
  types: ResourceClass | readonly string[] | ((type: string) => boolean),
  check: (resource: PlainResource, env: CheckEnv<SettingValues<S>>) => Finding[],
): Guardrail {
  return (provider) => resourcePolicy(meta, types, check, provider);
}

/** A stack policy: the check sees every resource and names the offending one in each finding. */
export function stackGuardrail<S extends Record<string, Setting>>(
  meta: GuardrailMeta<S>,
  check: (resources: PlainResource[], env: CheckEnv<SettingValues<S>>) => Finding[],
): Guardrail {
  return (provider) => stackPolicy(meta, check, provider);
}

function resourcePolicy<S extends Record<string, Setting>>(
  meta: GuardrailMeta<S>,
  types: ResourceClass | readonly string[] | ((type: string) => boolean),
  check: (resource: PlainResource, env: CheckEnv<SettingValues<S>>) => Finding[],
  provider: ContextProvider,
): ResourceValidationPolicy {
  const validate = (args: ResourceValidationArgs, report: ReportViolation): void => {
    const settings = resolveSettings(meta.settings, args.getConfig<Record<string, unknown>>());
    if (settings.exemptResources.includes(args.name)) args.notApplicable('waived by exemptResources');
    const resource = { type: args.type, name: args.name, urn: args.urn, props: args.props };
    const env = { settings, context: contextFor(provider, args.urn), notApplicable: args.notApplicable };
    for (const f of check(resource, env)) {
      report(typeof f === 'string' ? f : f.message);
    }
  };
  let validateResource: ResourceValidation;
  if (isResourceClass(types)) {
    // @pulumi/policy's own helper: the engine filters on the class's type token.
    validateResource = validateResourceOfType(types, (_props, args, report) => validate(args, report));
  } else {
    const applies = typeof types === 'function' ? types : (t: string) => types.includes(t);
    const filtered = (args: ResourceValidationArgs, report: ReportViolation) => {
      if (!applies(args.type)) args.notApplicable(`applies to ${describeTypes(types)}`);
      validate(args, report);
    };
    validateResource = typeof types === 'function' ? filtered : tagType(filtered, types);
  }
  return { ...metaFields(meta), validateResource };
}

function stackPolicy<S extends Record<string, Setting>>(
  meta: GuardrailMeta<S>,
  check: (resources: PlainResource[], env: CheckEnv<SettingValues<S>>) => Finding[],
  provider: ContextProvider,
): StackValidationPolicy {
  return {
    ...metaFields(meta),
    validateStack: (args: StackValidationArgs, report: ReportViolation): void => {
      const settings = resolveSettings(meta.settings, args.getConfig<Record<string, unknown>>());
      const exempt = new Set(settings.exemptResources);
      const resources = args.resources
        .filter((r) => !exempt.has(r.name))
        .map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props }));
      const anchor = resources[0]?.urn;
      if (anchor === undefined) args.notApplicable('the stack has no resources');
      const env = { settings, context: contextFor(provider, anchor), notApplicable: args.notApplicable };
      for (const f of check(resources, env)) {
        if (typeof f === 'string') report(f);
        else report(f.message, f.urn);
      }
    },
  };
}

function describeTypes(types: readonly string[] | ((type: string) => boolean)): string {
  return typeof types === 'function' ? 'a subset of resource types' : types.join(', ');
}
