import {
  estimateMonthlyCost,
  hourlyRates,
  loadStackConfig,
  parseStackConfig,
  PRICE_TABLE,
  readStackFile,
  stackFile,
  type PriceTable,
} from '../src';

const table: PriceTable = {
  region: 'us-east-1',
  asOf: '2025-01-01',
  currency: 'USD',
  hoursPerMonth: 100,
  ec2: { 'm.large': 1, 'g.small': 10, 'g.big': 20 },
  ec2Gpus: { 'g.small': 1, 'g.big': 1 },
  elasticache: { 'cache.x': 2 },
  eksControlPlanePerHour: 0.5,
  natGatewayPerHour: 0.1,
  albPerHour: 0.2,
  ebsGp3PerGbMonth: 0.1,
  wafWebAclPerMonth: 5,
  wafRulePerMonth: 1,
};

/**
 * The prod stack on the test table's instance types, its GPU group scaling up to `gpuMax`; the schema
 * resolves the rest (50 GB system disks).
 */
function config(gpuMax = 3) {
  return parseStackConfig(
    {
      ...readStackFile(stackFile('prod')),
      cluster: {
        version: '1.33',
        systemNodes: { instanceType: 'm.large', min: 2, max: 4 },
        gpuNodeGroups: [
          {
            name: 'g',
            instanceTypes: ['g.small', 'g.big'],
            min: 0,
            max: gpuMax,
            capacityType: 'SPOT',
            diskSizeGb: 100,
          },
        ],
      },
      redis: { nodeType: 'cache.x', replicas: 2 },
      ingress: { enabled: true, wafRateLimitPer5Min: 1000 },
    },
    'test',
  );
}

describe('estimateMonthlyCost', () => {
  it('prices min and max scale from the table, GPU groups on their dearest type, Spot at on-demand', () => {
    const c = estimateMonthlyCost(config(), table);
    const byItem = Object.fromEntries(c.lines.map((l) => [l.item, l]));
    expect(byItem['EKS control plane'].maxMonthlyUsd).toBe(50);
    expect(byItem['NAT gateways']).toMatchObject({ minQuantity: 3, maxQuantity: 3, minMonthlyUsd: 30 });
    expect(byItem['Application load balancer'].minMonthlyUsd).toBe(20);
    expect(byItem['WAF web ACL (1 rule)'].minMonthlyUsd).toBe(6);
    // 2..4 nodes × (1 $/h × 100 h + 50 GB × 0.1 $/GB)
    expect(byItem['system nodes (m.large)']).toMatchObject({
      unitMonthlyUsd: 105,
      minMonthlyUsd: 210,
      maxMonthlyUsd: 420,
    });
    // 0..3 nodes × (20 $/h × 100 h + 100 GB × 0.1)
    expect(byItem['GPU group g (g.small|g.big, SPOT)']).toMatchObject({
      category: 'gpu',
      unitMonthlyUsd: 2010,
      minMonthlyUsd: 0,
      maxMonthlyUsd: 6030,
    });
    expect(byItem['Redis (cache.x)']).toMatchObject({ minQuantity: 3, minMonthlyUsd: 600 });
    expect(c.minMonthlyUsd).toBe(50 + 30 + 20 + 6 + 210 + 600);
    expect(c.maxMonthlyUsd).toBe(50 + 30 + 20 + 6 + 420 + 6030 + 600);
    expect(c).toMatchObject({ region: 'us-east-1', priceTableDate: '2025-01-01', budgetMonthlyUsd: 15000 });
  });

  it('grows with the GPU max and not with the GPU min of zero', () => {
    const small = estimateMonthlyCost(config(), table);
    const big = estimateMonthlyCost(config(6), table);
    expect(big.minMonthlyUsd).toBe(small.minMonthlyUsd);
    expect(big.maxMonthlyUsd - small.maxMonthlyUsd).toBe(3 * 2010);
  });

  it('costs nothing on AWS for the local stack', () => {
    const c = estimateMonthlyCost(loadStackConfig('local'));
    expect(c).toMatchObject({ minMonthlyUsd: 0, maxMonthlyUsd: 0, lines: [] });
  });

  it('derives the dashboard hourly rates from the estimate', () => {
    const rates = hourlyRates(estimateMonthlyCost(config(), table));
    expect(rates.gpuNodeHourlyUsd).toBeCloseTo(20.1);
    expect(rates.baseHourlyUsd).toBeCloseTo((50 + 30 + 20 + 6 + 210 + 600) / 100);
  });

  it('uses a dated, regional price table that prices every GPU type it lists', () => {
    expect(PRICE_TABLE.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const type of Object.keys(PRICE_TABLE.ec2Gpus)) expect(PRICE_TABLE.ec2[type]).toBeGreaterThan(0);
  });
});
