import { PRICE_TABLE, type PriceTable } from './price-table';
import type { StackConfig } from './schema';

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

export function priceOf(prices: Readonly<Record<string, number>>, key: string): number {
  const price = prices[key];
  if (price === undefined)
    throw new Error(`no price for "${key}" (validate the config with priceIssues first)`);
  return price;
}

/** NAT gateways the stack runs: none in `local`, one per AZ or a single one elsewhere. */
export function natGatewayCount(cfg: StackConfig): number {
  if (cfg.environment === 'local') return 0;
  return cfg.network.natGateways === 'one-per-az' ? cfg.network.availabilityZones : 1;
}

/**
 * Monthly cost at minimum scale (every group at its min) and at maximum scale (every group at its max,
 * each GPU group on its most expensive instance type). Pure: a function of the config and the table.
 */
export function estimateMonthlyCost(cfg: StackConfig, table: PriceTable = PRICE_TABLE): CostEstimate {
  const hours = table.hoursPerMonth;
  const isLocal = cfg.environment === 'local';
  const lines: CostLine[] = [];
  if (!isLocal) {
    lines.push(line('EKS control plane', 1, 1, table.eksControlPlanePerHour * hours));
    const nat = natGatewayCount(cfg);
    lines.push(line('NAT gateways', nat, nat, table.natGatewayPerHour * hours));
    if (cfg.ingress.enabled) lines.push(line('Application load balancer', 1, 1, table.albPerHour * hours));
    if (cfg.ingress.enabled && cfg.ingress.wafRateLimitPer5Min !== undefined) {
      lines.push(line('WAF web ACL (1 rule)', 1, 1, table.wafWebAclPerMonth + table.wafRulePerMonth));
    }
  }
  if (cfg.cluster) {
    const sys = cfg.cluster.systemNodes;
    const sysUnit = priceOf(table.ec2, sys.instanceType) * hours + sys.diskSizeGb * table.ebsGp3PerGbMonth;
    lines.push(line(`system nodes (${sys.instanceType})`, sys.min, sys.max, sysUnit));
    for (const group of cfg.cluster.gpuNodeGroups) {
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
  if (cfg.redis && !isLocal) {
    const nodes = cfg.redis.replicas + 1;
    lines.push(
      line(
        `Redis (${cfg.redis.nodeType})`,
        nodes,
        nodes,
        priceOf(table.elasticache, cfg.redis.nodeType) * hours,
      ),
    );
  }
  return {
    currency: table.currency,
    region: table.region,
    priceTableDate: table.asOf,
    hoursPerMonth: hours,
    minMonthlyUsd: cents(lines.reduce((sum, l) => sum + l.minMonthlyUsd, 0)),
    maxMonthlyUsd: cents(lines.reduce((sum, l) => sum + l.maxMonthlyUsd, 0)),
    ...(cfg.budget ? { budgetMonthlyUsd: cfg.budget.monthlyLimitUsd } : {}),
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
