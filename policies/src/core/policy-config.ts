import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnforcementLevel, Policies } from '@pulumi/policy';
import type { PolicyConfigJSONSchema } from '@pulumi/policy/schema';

/** Same shape as the JSON file `pulumi preview --policy-pack-config <file>` takes. */
export type PolicyPackConfig = Record<
  string,
  EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

const LEVELS: readonly string[] = ['advisory', 'mandatory', 'remediate', 'disabled'];

function typeMatches(schema: PolicyConfigJSONSchema, value: unknown): boolean {
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.length === 0) return true;
  return types.some((t) => {
    switch (t) {
      case 'array':
        return (
          Array.isArray(value) &&
          value.every(
            (v) =>
              !schema.items ||
              Array.isArray(schema.items) ||
              typeof schema.items === 'boolean' ||
              typeMatches(schema.items, v),
          )
        );
      case 'object':
        return value !== null && typeof value === 'object' && !Array.isArray(value);
      case 'integer':
        return Number.isInteger(value);
      case 'null':
        return value === null;
      default:
        return typeof value === t;
    }
  });
}

/**
 * Checks a policy config against the pack: known policy names, valid enforcement levels, and each
 * setting against its policy's configSchema (type and minimum), as the Pulumi CLI does before a run.
 */
export function validatePolicyConfig(config: unknown, policies: Policies, source: string): PolicyPackConfig {
  const errors: string[] = [];
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new Error(`${source}: policy config must be a JSON object keyed by policy name`);
  }
  const byName = new Map(policies.map((p) => [p.name, p]));
  for (const [name, entry] of Object.entries(config)) {
    const policy = byName.get(name);
    if (policy === undefined) {
      errors.push(`"${name}" is not a policy of this pack (policies: ${[...byName.keys()].join(', ')})`);
      continue;
    }
    if (typeof entry === 'string') {
      if (!LEVELS.includes(entry))
        errors.push(`${name}: enforcement level "${entry}" is not one of ${LEVELS.join(', ')}`);
      continue;
    }
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      errors.push(
        `${name}: expected an enforcement level or an object of settings, got ${JSON.stringify(entry)}`,
      );
      continue;
    }
    const properties = policy.configSchema?.properties ?? {};
    for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
      if (key === 'enforcementLevel') {
        if (typeof value !== 'string' || !LEVELS.includes(value)) {
          errors.push(
            `${name}.enforcementLevel: ${JSON.stringify(value)} is not one of ${LEVELS.join(', ')}`,
          );
        }
        continue;
      }
      const schema = properties[key];
      if (schema === undefined) {
        errors.push(
          `${name}.${key}: unknown setting (settings: ${Object.keys(properties).join(', ') || 'none'})`,
        );
      } else if (!typeMatches(schema, value)) {
        errors.push(`${name}.${key}: expected ${JSON.stringify(schema.type)}, got ${JSON.stringify(value)}`);
      } else if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) {
        errors.push(`${name}.${key}: must be >= ${schema.minimum}, got ${value}`);
      }
    }
    const settings = entry as Record<string, unknown>;
    const exempt = settings.exemptResources;
    if (Array.isArray(exempt) && exempt.length > 0 && !settings.exemptionReason) {
      errors.push(`${name}.exemptionReason: required when exemptResources is set, so the waiver says why`);
    }
  }
  if (errors.length > 0) throw new Error(`invalid policy config in ${source}:\n  - ${errors.join('\n  - ')}`);
  return config as PolicyPackConfig;
}

export function readPolicyConfig(file: string, policies: Policies): PolicyPackConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read policy config ${file}: ${(e as Error).message}`);
  }
  return validatePolicyConfig(parsed, policies, file);
}

/** Each stack's policy config, shipped inside the pack so the pack can find its own. */
export const POLICY_CONFIG_DIR = path.resolve(__dirname, '..', '..', 'config');

/** `config/<stack>.json` of the pack, when the stack has one. */
export function stackPolicyConfigFile(stack: string): string | undefined {
  const file = path.join(POLICY_CONFIG_DIR, `${stack}.json`);
  return fs.existsSync(file) ? file : undefined;
}
