import * as pulumi from '@pulumi/pulumi';
import {
  ConfigError,
  PROJECT,
  parseStackConfig,
  type ConfigIssue,
  type StackConfig,
} from '@ml-platform/stack-config';
import { priceIssues } from './budget/cost-estimate';

/** Pulumi config values are strings; structured ones are JSON. */
export function parseConfigValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * Schema validation plus the checks that need the repo's data (the price table), each failing with
 * the key, the value and what is allowed.
 */
export function validateStackConfig(
  raw: Record<string, unknown>,
  source: string,
  awsRegion?: string,
): StackConfig {
  const cfg = parseStackConfig(raw, source);
  const issues = [...priceIssues(cfg), ...regionIssues(cfg, awsRegion)];
  if (issues.length > 0) throw new ConfigError(source, issues);
  return cfg;
}

/** Every `ml-platform:*` value of the running stack (all of them, so unknown keys are reported). */
export function readProjectConfig(): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (key.startsWith(`${PROJECT}:`)) raw[key.slice(PROJECT.length + 1)] = parseConfigValue(value);
  }
  return raw;
}

/** The AWS provider must deploy where the platform (and its price table) thinks it is. */
export function regionIssues(cfg: StackConfig, awsRegion: string | undefined): ConfigIssue[] {
  if (cfg.environment === 'local' || awsRegion === undefined || awsRegion === cfg.region) return [];
  return [
    {
      key: 'aws:region',
      value: awsRegion,
      message: `must equal ml-platform:region (${cfg.region}), or be left unset`,
    },
  ];
}
