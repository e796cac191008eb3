import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { validateStackConfig } from './checks';
import { PROJECT, projectValues } from './parse';
import type { StackConfig } from './schema';

/** The repository root: where Pulumi.yaml lives. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export function stackFile(stack: string, root = REPO_ROOT): string {
  return path.join(root, `Pulumi.${stack}.yaml`);
}

/** Names of the stacks checked into the repository. */
export function listStacks(root = REPO_ROOT): string[] {
  return fs
    .readdirSync(root)
    .map((f) => /^Pulumi\.([\w-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** The only reader of stack files: every `config:` value of one, in any namespace, as written. */
function readStackFileConfig(file: string): Record<string, unknown> {
  const doc = parseYaml(fs.readFileSync(file, 'utf8')) as { config?: Record<string, unknown> } | null;
  return { ...(doc?.config ?? {}) };
}

/** The project-scoped values of a Pulumi stack file, keyed without the `ml-platform:` prefix. */
export function readStackFile(file: string): Record<string, unknown> {
  return projectValues(toConfigMap(readStackFileConfig(file)));
}

function toConfigMap(raw: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    out[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}

export interface StackFileOptions {
  /** Raw `ml-platform:*` overrides (prefix optional, other namespaces need theirs); `undefined` deletes a key. */
  config?: Record<string, unknown>;
  /** Stack file to read instead of `Pulumi.<stack>.yaml`. */
  configFile?: string;
  root?: string;
}

/**
 * A stack file's config (any namespace) with the overrides applied, as the string map Pulumi hands to
 * the program and the policy pack. Each override replaces the file's value wholesale.
 */
export function stackConfigMap(stack: string, opts: StackFileOptions = {}): Record<string, string> {
  const root = opts.root ?? REPO_ROOT;
  const file = opts.configFile ?? stackFile(stack, root);
  if (!fs.existsSync(file)) {
    throw new Error(
      `unknown stack "${stack}": ${file} does not exist (stacks: ${listStacks(root).join(', ')})`,
    );
  }
  const raw = readStackFileConfig(file);
  for (const [key, value] of Object.entries(opts.config ?? {})) {
    const full = key.includes(':') ? key : `${PROJECT}:${key}`;
    if (value === undefined) delete raw[full];
    else raw[full] = value;
  }
  return toConfigMap(raw);
}

/**
 * Validates a Pulumi config map the way every path that runs the stack does: the `ml-platform:*`
 * values against the schema, the price table and `aws:region`. `source` names the stack in errors.
 */
export function resolveConfigMap(map: Readonly<Record<string, string>>, source: string): StackConfig {
  return validateStackConfig(projectValues(map), source, map['aws:region']);
}

/** Loads and validates `Pulumi.<stack>.yaml`. */
export function loadStackConfig(stack: string, root = REPO_ROOT): StackConfig {
  return resolveConfigMap(stackConfigMap(stack, { root }), path.basename(stackFile(stack, root)));
}
