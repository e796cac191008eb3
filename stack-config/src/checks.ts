import { ConfigError, type ConfigIssue } from './errors';
import { PRICE_TABLE, type PriceTable } from './price-table';
import { parseStackConfig } from './parse';
import type { StackConfig } from './schema';

/** Config values the price table cannot price, each with its key, value and the priced choices. */
export function priceIssues(cfg: StackConfig, table: PriceTable = PRICE_TABLE): ConfigIssue[] {
  if (cfg.environment === 'local') return [];
  const issues: ConfigIssue[] = [];
  const allowed = (prices: Readonly<Record<string, number>>) => `one of ${Object.keys(prices).join(', ')}`;
  if (cfg.region !== table.region) {
    issues.push({
      key: 'ml-platform:region',
      value: cfg.region,
      message: `must be ${table.region}: the price table (as of ${table.asOf}) covers only that region`,
    });
  }
  if (cfg.cluster) {
    const sys = cfg.cluster.systemNodes.instanceType;
    if (table.ec2[sys] === undefined) {
      issues.push({
        key: 'ml-platform:cluster.systemNodes.instanceType',
        value: sys,
        message: `must be an instance type in the price table: ${allowed(table.ec2)}`,
      });
    }
    cfg.cluster.gpuNodeGroups.forEach((group, g) =>
      group.instanceTypes.forEach((type, i) => {
        if (table.ec2[type] === undefined || table.ec2Gpus[type] === undefined) {
          issues.push({
            key: `ml-platform:cluster.gpuNodeGroups[${g}].instanceTypes[${i}]`,
            value: type,
            message: `must be a GPU instance type in the price table: ${allowed(table.ec2Gpus)}`,
          });
        }
      }),
    );
  }
  if (cfg.redis && table.elasticache[cfg.redis.nodeType] === undefined) {
    issues.push({
      key: 'ml-platform:redis.nodeType',
      value: cfg.redis.nodeType,
      message: `must be a node type in the price table: ${allowed(table.elasticache)}`,
    });
  }
  return issues;
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

/**
 * Schema validation plus the checks that need the repo's data (the price table) and the AWS
 * provider's region, each failing with the key, the value and what is allowed. Every path that runs a
 * stack (the program, offline synth, the policy pack) validates through here, so a bad value fails
 * the same way everywhere.
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
