import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ModelConfigSchema, type ModelConfig } from './model-config';

/** A config.json that cannot be used; the message names the file, the key, the value and what is allowed. */
export class ModelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelConfigError';
  }
}

/** Reads and validates `<model dir>/config.json`; its `name` must match the directory name. */
export function readModelConfig(file: string, expectedName: string): ModelConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ModelConfigError(`${file}: cannot read: ${(e as Error).message}`);
  }
  return parseModelConfig(text, expectedName, file);
}

/**
 * Validates a model configuration given as JSON text, exactly as a config.json is validated;
 * `source` (a file, or the load request's `parameters.config`) starts every message.
 */
export function parseModelConfig(text: string, expectedName: string, source: string): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ModelConfigError(`${source}: not valid JSON: ${(e as Error).message}`);
  }
  const parsed = ModelConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ModelConfigError(
      `${source}: ${parsed.error.issues.map((i) => describeIssue(raw, i)).join('; ')}`,
    );
  }
  if (parsed.data.name !== expectedName) {
    throw new ModelConfigError(
      `${source}: name: got ${JSON.stringify(parsed.data.name)}, expected "${expectedName}" (the model's directory name)`,
    );
  }
  return parsed.data;
}

function describeIssue(raw: unknown, issue: z.core.$ZodIssue): string {
  const key = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
  const value = valueAt(raw, issue.path);
  const got = value === undefined ? 'missing' : `got ${truncate(JSON.stringify(value))}`;
  return `${key}: ${got}; ${issue.message}`;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
