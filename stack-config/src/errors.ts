import type { z } from 'zod';

export interface ConfigIssue {
  /** Dotted key, e.g. `ml-platform:cluster.gpuNodeGroups[0].max`. */
  key: string;
  value: unknown;
  message: string;
}

/** A config error a person can act on: each issue names the key, the value found and what is allowed. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `invalid config in ${source}:\n` +
        issues.map((i) => `  - ${i.key}: ${i.message} (got ${describe(i.value)})`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function formatPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out.length === 0 || out.endsWith(':') ? String(part) : `.${String(part)}`;
  }
  return out;
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = root;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part];
  }
  return cur;
}

/** Turns zod issues into ConfigIssues with the offending value looked up in the raw input. */
export function toConfigIssues(error: z.ZodError, raw: unknown, prefix: string): ConfigIssue[] {
  return error.issues.flatMap((issue) => {
    // One issue per unknown key, named by its own path (a typo is easier to spot that way).
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({
        key: formatPath(prefix, [...issue.path, k]),
        value: valueAt(raw, [...issue.path, k]),
        message: 'is not a known key (check its spelling against the schema in stack-config)',
      }));
    }
    return [{ key: formatPath(prefix, issue.path), value: valueAt(raw, issue.path), message: issue.message }];
  });
}
