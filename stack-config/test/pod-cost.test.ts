import {
  listStacks,
  loadStackConfig,
  maxCostPer1kWithinBudget,
  parseStackConfig,
  podCostPerHour,
  PRICE_TABLE,
  readStackFile,
  stackFile,
} from '../src';

/** The price table's hourly price for a node, read here rather than through the code under test. */
const ec2 = (type: string) => PRICE_TABLE.ec2[type];

describe("the pod's cost per hour", () => {
  it('is a whole g5 node per GPU pod in prod and staging, a g4dn in dev, nothing locally', () => {
    expect(podCostPerHour(loadStackConfig('prod'))).toEqual({
      usdPerHour: ec2('g5.xlarge'),
      instanceType: 'g5.xlarge',
      capacityType: 'ON_DEMAND',
      share: 1,
    });
    // Spot is priced at the on-demand rate, like the cost estimate: an upper bound.
    expect(podCostPerHour(loadStackConfig('staging'))).toMatchObject({
      usdPerHour: ec2('g5.xlarge'),
      capacityType: 'SPOT',
    });
    expect(podCostPerHour(loadStackConfig('dev'))).toMatchObject({
      usdPerHour: ec2('g4dn.xlarge'),
      instanceType: 'g4dn.xlarge',
    });
    expect(podCostPerHour(loadStackConfig('local')).usdPerHour).toBe(0);
  });

  it("is a CPU pod's share of its shared node, by whichever of CPU and memory it takes more of", () => {
    const prod = readStackFile(stackFile('prod'));
    const cpuPod = (resources: { cpu: string; memory: string }) =>
      podCostPerHour(
        parseStackConfig({ ...prod, service: { ...(prod.service as object), gpu: false, resources } }),
      );
    // m6i.large: 2 vCPU, 8 GiB.
    expect(cpuPod({ cpu: '500m', memory: '1Gi' })).toEqual({
      usdPerHour: ec2('m6i.large') * 0.25,
      instanceType: 'm6i.large',
      capacityType: 'ON_DEMAND',
      share: 0.25,
    });
    expect(cpuPod({ cpu: '250m', memory: '4096Mi' }).usdPerHour).toBeCloseTo(ec2('m6i.large') * 0.5, 9);
    expect(cpuPod({ cpu: '4', memory: '1Gi' }).share).toBe(1);
  });

  it('holds for every stack in the repository: a GPU pod costs its node over its GPUs', () => {
    for (const stack of listStacks()) {
      const cfg = loadStackConfig(stack);
      const cost = podCostPerHour(cfg);
      if (!cfg.cluster) continue;
      expect(cost.usdPerHour).toBeCloseTo(ec2(cost.instanceType) * cost.share, 9);
      if (cfg.service.gpu) expect(cost.share).toBe(1 / PRICE_TABLE.ec2Gpus[cost.instanceType]);
    }
  });
});

describe('the cost-per-prediction threshold', () => {
  it('defaults to the budget spread over a month of the SLA peak rate', () => {
    const prod = loadStackConfig('prod');
    // 15000 USD over 500 req/s x 3600 s x 730 h = 1.314e9 predictions.
    expect(prod.budget?.maxCostPer1kPredictionsUsd).toBeCloseTo((15000 * 1000) / 1.314e9, 6);
    expect(maxCostPer1kWithinBudget(15000, prod.sla)).toBe(prod.budget?.maxCostPer1kPredictionsUsd);
    const raw = readStackFile(stackFile('prod'));
    const set = parseStackConfig({
      ...raw,
      budget: { ...(raw.budget as object), maxCostPer1kPredictionsUsd: 0.005 },
    });
    expect(set.budget?.maxCostPer1kPredictionsUsd).toBe(0.005);
  });
});
