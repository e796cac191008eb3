import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, toConfigIssues } from './errors';
import { StackConfigSchema, type StackConfig } from './schema';

export const PROJECT = 'ml-platform';

/** The repository root: where Pulumi.yaml lives. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * Validates the `ml-platform:*` values of a stack. `raw` maps the key without its project prefix
 * (`sla`, `cluster`, ...) to its value, as `pulumi.Config` or a stack file provides them.
 */
export function parseStackConfig(raw: Record<string, unknown>, source = 'stack config'): StackConfig {
  const result = StackConfigSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(source, toConfigIssues(result.error, raw, `${PROJECT}:`));
  return result.data;
}

/** The project-scoped values of a Pulumi stack file, keyed without the `ml-platform:` prefix. */
export function readStackFile(file: string): Record<string, unknown> {
  const doc = parseYaml(fs.readFileSync(file, 'utf8')) as { config?: Record<string, unknown> } | null;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc?.config ?? {})) {
    if (key.startsWith(`${PROJECT}:`)) out[key.slice(PROJECT.length + 1)] = value;
  }
  return out;
}

export function stackFile(stack: string, root = REPO_ROOT): string {
  return path.join(root, `Pulumi.${stack}.yaml`);
}

/** Loads and validates `Pulumi.<stack>.yaml`. */
export function loadStackConfig(stack: string, root = REPO_ROOT): StackConfig {
  const file = stackFile(stack, root);
  if (!fs.existsSync(file)) {
    throw new Error(
      `unknown stack "${stack}": ${file} does not exist (stacks: ${listStacks(root).join(', ')})`,
    );
  }
  return parseStackConfig(readStackFile(file), path.basename(file));
}

/** Names of the stacks checked into the repository. */
export function listStacks(root = REPO_ROOT): string[] {
  return fs
    .readdirSync(root)
    .map((f) => /^Pulumi\.([\w-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}
