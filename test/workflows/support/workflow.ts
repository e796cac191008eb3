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

export const WORKFLOW_DIR = (root: string) => path.join(root, '.github', 'workflows');
