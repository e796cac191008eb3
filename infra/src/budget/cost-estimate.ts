import type { ConfigIssue, StackConfig } from '@ml-platform/stack-config';
import type { PlatformSettings } from '../settings';
import { PRICE_TABLE, type PriceTable } from './price-table';

export interface CostLine {
  item: string;
  /** `gpu` lines scale with GPU demand; everything else is the platform's base cost. */
  category: 'platform' | 'gpu';
  /** Units running at minimum and at maximum scale (nodes, gateways, hours-based services). */
  minQuantity: number;
  maxQuantity: number;
  unitMonthlyUsd: number;
  minMonthlyUsd: number;
  maxMonthlyUsd: number;
}

export interface CostEstimate {
  currency: 'USD';
  region: string;
  priceTableDate: string;
  hoursPerMonth: number;
  minMonthlyUsd: number;
  maxMonthlyUsd: number;
  /** The configured monthly budget, when there is one, for a side-by-side reading. */
  budgetMonthlyUsd?: number;
  lines: CostLine[];
  /** What the estimate leaves out because it depends on traffic, not on the stack's shape. */
  excludes: string[];
}

const EXCLUDES = [
  'data transfer and NAT gateway per-GB processing',
  'load balancer capacity units',
  'S3 storage and requests',
  'CloudWatch metrics, alarms and logs',
  'Secrets Manager secrets and API calls',
];

const cents = (usd: number): number => Math.round(usd * 100) / 100;

function line(
  item: string,
  minQuantity: number,
  maxQuantity: number,
  unitMonthlyUsd: number,
  category: CostLine['category'] = 'platform',
): CostLine {
  return {
    item,
    category,
    minQuantity,
    maxQuantity,
    unitMonthlyUsd: cents(unitMonthlyUsd),
    minMonthlyUsd: cents(minQuantity * unitMonthlyUsd),
    maxMonthlyUsd: cents(maxQuantity * unitMonthlyUsd),
  };
}

function priceOf(prices: Readonly<Record<string, number>>, key: string): number {
  const price = prices[key];
  if (price === undefined)
    throw new Error(`no price for "${key}" (validate the config with priceIssues first)`);
  return price;
}

/**
 * Monthly cost at minimum scale (every group at its min) and at maximum scale (every group at its max,
 * each GPU group on its most expensive instance type). Pure: a function of the settings and the table.
 */
export function estimateMonthlyCost(s: PlatformSettings, table: PriceTable = PRICE_TABLE): CostEstimate {
  const hours = table.hoursPerMonth;
  const lines: CostLine[] = [];
  if (!s.isLocal) {
    lines.push(line('EKS control plane', 1, 1, table.eksControlPlanePerHour * hours));
    lines.push(
      line(
        'NAT gateways',
        s.network.natGatewayCount,
        s.network.natGatewayCount,
        table.natGatewayPerHour * hours,
      ),
    );
    if (s.ingress.enabled) lines.push(line('Application load balancer', 1, 1, table.albPerHour * hours));
    if (s.ingress.enabled && s.ingress.wafRateLimitPer5Min !== undefined) {
      lines.push(line('WAF web ACL (1 rule)', 1, 1, table.wafWebAclPerMonth + table.wafRulePerMonth));
    }
  }
  if (s.cluster) {
    const sys = s.cluster.systemNodes;
    const sysUnit = priceOf(table.ec2, sys.instanceType) * hours + sys.diskSizeGb * table.ebsGp3PerGbMonth;
    lines.push(line(`system nodes (${sys.instanceType})`, sys.min, sys.max, sysUnit));
    for (const group of s.cluster.gpuNodeGroups) {
      const dearest = Math.max(...group.instanceTypes.map((t) => priceOf(table.ec2, t)));
      const unit = dearest * hours + group.diskSizeGb * table.ebsGp3PerGbMonth;
      lines.push(
        line(
          `GPU group ${group.name} (${group.instanceTypes.join('|')}, ${group.capacityType})`,
          group.min,
          group.max,
          unit,
          'gpu',
        ),
      );
    }
  }
  if (s.redis && !s.isLocal) {
    const nodes = s.redis.replicas + 1;
    lines.push(
      line(`Redis (${s.redis.nodeType})`, nodes, nodes, priceOf(table.elasticache, s.redis.nodeType) * hours),
    );
  }
  return {
    currency: table.currency,
    region: table.region,
    priceTableDate: table.asOf,
    hoursPerMonth: hours,
    minMonthlyUsd: cents(lines.reduce((sum, l) => sum + l.minMonthlyUsd, 0)),
    maxMonthlyUsd: cents(lines.reduce((sum, l) => sum + l.maxMonthlyUsd, 0)),
    ...(s.budget ? { budgetMonthlyUsd: s.budget.monthlyLimitUsd } : {}),
    lines,
    excludes: EXCLUDES,
  };
}

/** Hourly rates for the dashboard's cost per 1000 predictions: base cost at min scale, one GPU node. */
export function hourlyRates(c: CostEstimate): { baseHourlyUsd: number; gpuNodeHourlyUsd: number } {
  const base = c.lines.filter((l) => l.category === 'platform').reduce((sum, l) => sum + l.minMonthlyUsd, 0);
  const gpu = Math.max(0, ...c.lines.filter((l) => l.category === 'gpu').map((l) => l.unitMonthlyUsd));
  return { baseHourlyUsd: base / c.hoursPerMonth, gpuNodeHourlyUsd: gpu / c.hoursPerMonth };
}

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
