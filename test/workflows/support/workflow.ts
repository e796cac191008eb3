import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

/** Test support: GitHub Actions workflow files as data, and the parts of their expression language they use. */
export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string | number | boolean>;
  env?: Record<string, string>;
}

export interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  uses?: string;
  with?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown>; 'fail-fast'?: boolean; 'max-parallel'?: number };
  outputs?: Record<string, string>;
  permissions?: Record<string, string>;
  steps?: Step[];
  environment?: string;
  env?: Record<string, string>;
  container?: string;
}

export interface Workflow {
  name: string;
  on: Record<string, unknown>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

export function loadYaml<T>(file: string): T {
  return parse(fs.readFileSync(file, 'utf8')) as T;
}

export function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
}

/** Every `${{ ... }}` expression in a value, plus bare `if:` conditions (which are expressions too). */
export function expressions(value: unknown): string[] {
  const text = JSON.stringify(value) ?? '';
  return [...text.matchAll(/\$\{\{(.*?)\}\}/g)].map((m) => m[1].trim());
}

/** Context references such as `needs.deploy.outputs.endpoint` in an expression. */
export function references(expr: string, context: string): string[][] {
  const re = new RegExp(`\\b${context}((?:\\.[A-Za-z_][\\w-]*)+)`, 'g');
  return [...expr.replace(/'[^']*'/g, "''").matchAll(re)].map((m) => m[1].slice(1).split('.'));
}

/**
 * Evaluates the subset of the expression language the workflows' `if:` conditions use: context
 * paths, string literals, ==, !=, &&, ||, !, parentheses and the status functions.
 */
export function evaluateCondition(
  expr: string,
  contexts: Record<string, unknown>,
  status: { success: boolean; failure: boolean; cancelled?: boolean },
): boolean {
  const body = expr.replace(/^\$\{\{|\}\}$/g, '').trim();
  const lookup = (p: string): unknown =>
    p.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], contexts) ?? '';
  const js = body
    .replace(/'([^']*)'/g, (_m, s: string) => JSON.stringify(s))
    .replace(/\b(always|success|failure|cancelled)\(\)/g, '__$1')
    .replace(
      /\b(needs|inputs|vars|github|matrix|env|steps)((?:\.[A-Za-z_][\w-]*)+)/g,
      (m) => `__ctx(${JSON.stringify(m)})`,
    );
  if (/[^\w\s"().!=&|_$,-]/.test(js.replace(/"[^"]*"/g, '""')))
    throw new Error(`unsupported expression: ${expr}`);
  const fn = new Function(
    '__ctx',
    '__always',
    '__success',
    '__failure',
    '__cancelled',
    `return Boolean(${js});`,
  );
  return fn(lookup, true, status.success, status.failure, status.cancelled ?? false) as boolean;
}

/** A word the shell reads as itself wherever it stands: no quotes, spaces, `$`, globs or operators. */
const SHELL_INERT = /^[\w.-]+$/;

/** Every value matrix key `key` can take, or undefined when the matrix is computed (e.g. `fromJSON`). */
function matrixValues(job: Job, key: string): unknown[] | undefined {
  const matrix = job.strategy?.matrix;
  const listed = matrix?.[key];
  const include = matrix?.include;
  if (!Array.isArray(listed) || (include !== undefined && !Array.isArray(include))) return undefined;
  const included = ((include ?? []) as Record<string, unknown>[]).flatMap((i) => (key in i ? [i[key]] : []));
  return [...listed, ...included];
}

/**
 * The expressions in a job's `run:` scripts that could put arbitrary text into the shell. GitHub
 * substitutes `${{ }}` before the shell parses the script, so no quoting makes an input, an event
 * field, a variable or another job's output safe there: those go through `env:`. The one value left
 * inline is a matrix key whose values the workflow itself lists, all plain words.
 */
export function unsafeRunExpressions(job: Job): string[] {
  return (job.steps ?? [])
    .flatMap((s) => (s.run ? expressions(s.run) : []))
    .filter((e) => {
      const key = /^matrix\.([A-Za-z_][\w-]*)$/.exec(e)?.[1];
      const values = key === undefined ? undefined : matrixValues(job, key);
      return !values?.every((v) => SHELL_INERT.test(String(v)));
    });
}

export const WORKFLOW_DIR = (root: string) => path.join(root, '.github', 'workflows');
