import { loadStackConfig } from '@ml-platform/stack-config';
import { estimateMonthlyCost, hourlyRates } from '../../src/budget/cost-estimate';
import { PRICE_TABLE, type PriceTable } from '../../src/budget/price-table';
import { resolveSettings } from '../../src/settings';

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

function settings(patch: Record<string, unknown> = {}) {
  const cfg = loadStackConfig('prod');
  return resolveSettings(
    {
      ...cfg,
      cluster: {
        version: '1.33',
        systemNodes: { instanceType: 'm.large', min: 2, max: 4 },
        gpuNodeGroups: [
          {
            name: 'g',
            instanceTypes: ['g.small', 'g.big'],
            min: 0,
            max: 3,
            capacityType: 'SPOT',
            diskSizeGb: 100,
          },
        ],
      },
      redis: { nodeType: 'cache.x', replicas: 2 },
      ingress: { enabled: true, wafRateLimitPer5Min: 1000 },
      ...patch,
    },
    'prod',
  );
}

describe('estimateMonthlyCost', () => {
  it('prices min and max scale from the table, GPU groups on their dearest type, Spot at on-demand', () => {
    const c = estimateMonthlyCost(settings(), table);
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
    const small = estimateMonthlyCost(settings(), table);
    const big = estimateMonthlyCost(
      settings({
        cluster: {
          version: '1.33',
          systemNodes: { instanceType: 'm.large', min: 2, max: 4 },
          gpuNodeGroups: [
            {
              name: 'g',
              instanceTypes: ['g.small', 'g.big'],
              min: 0,
              max: 6,
              capacityType: 'SPOT',
              diskSizeGb: 100,
            },
          ],
        },
      }),
      table,
    );
    expect(big.minMonthlyUsd).toBe(small.minMonthlyUsd);
    expect(big.maxMonthlyUsd - small.maxMonthlyUsd).toBe(3 * 2010);
  });

  it('costs nothing on AWS for the local stack', () => {
    const c = estimateMonthlyCost(resolveSettings(loadStackConfig('local'), 'local'));
    expect(c).toMatchObject({ minMonthlyUsd: 0, maxMonthlyUsd: 0, lines: [] });
  });

  it('derives the dashboard hourly rates from the estimate', () => {
    const rates = hourlyRates(estimateMonthlyCost(settings(), table));
    expect(rates.gpuNodeHourlyUsd).toBeCloseTo(20.1);
    expect(rates.baseHourlyUsd).toBeCloseTo((50 + 30 + 20 + 6 + 210 + 600) / 100);
  });

  it('uses a dated, regional price table that prices every GPU type it lists', () => {
    expect(PRICE_TABLE.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const type of Object.keys(PRICE_TABLE.ec2Gpus)) expect(PRICE_TABLE.ec2[type]).toBeGreaterThan(0);
  });
});
