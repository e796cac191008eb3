import { ConfigError, toConfigIssues } from './errors';
import { StackConfigSchema, type StackConfig } from './schema';

export const PROJECT = 'ml-platform';

/**
 * Validates the `ml-platform:*` values of a stack against the schema and resolves its defaults.
 * `raw` maps the key without its project prefix (`sla`, `cluster`, ...) to its value.
 */
export function parseStackConfig(raw: Record<string, unknown>, source = 'stack config'): StackConfig {
  const result = StackConfigSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(source, toConfigIssues(result.error, raw, `${PROJECT}:`));
  return result.data;
}

/** Pulumi config values are strings; structured ones are JSON. */
export function parseConfigValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * The `ml-platform:*` values of a Pulumi config map (`namespace:key` -> string, as the engine hands it
 * to the program and to the policy pack), parsed back and keyed without the prefix. All of them, so
 * unknown keys are reported.
 */
export function projectValues(map: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(map)) {
    if (key.startsWith(`${PROJECT}:`)) out[key.slice(PROJECT.length + 1)] = parseConfigValue(value);
  }
  return out;
}
