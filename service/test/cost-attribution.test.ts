import { CostAttribution, type VersionCost } from '../src/cost/attribution';

const total = (costs: VersionCost[]) => costs.reduce((s, c) => s + c.usd, 0);
const usdOf = (costs: VersionCost[], model: string) => costs.find((c) => c.model === model)?.usd ?? 0;

describe('cost attribution', () => {
  // 3600 USD per hour: one dollar per second keeps the expected numbers readable.
  it('charges busy time by compute and idle time by requests, adding up to the pod cost', () => {
    const cost = new CostAttribution(3600, 0);
    cost.addBusy('a', '1', 3);
    cost.addBusy('b', '1', 1);
    cost.addRequests('a', '1', 10);
    cost.addRequests('b', '1', 30);
    const costs = cost.settle(10_000);
    // 4 busy seconds of 10: a computed 3, b 1; the 6 idle seconds split 10:30.
    expect(usdOf(costs, 'a')).toBeCloseTo(3 + 6 * 0.25, 9);
    expect(usdOf(costs, 'b')).toBeCloseTo(1 + 6 * 0.75, 9);
    expect(total(costs)).toBeCloseTo(10, 9);
  });

  it('charges the whole interval by compute when the runtime threads were busier than the wall clock', () => {
    const cost = new CostAttribution(3600, 0);
    cost.addBusy('a', '1', 3);
    cost.addBusy('b', '2', 1);
    cost.addRequests('b', '2', 100);
    const costs = cost.settle(2000);
    expect(usdOf(costs, 'a')).toBeCloseTo(1.5, 9);
    expect(usdOf(costs, 'b')).toBeCloseTo(0.5, 9);
  });

  it('carries the cost of an interval without traffic to the next one with traffic', () => {
    const cost = new CostAttribution(3600, 0);
    expect(total(cost.settle(5000))).toBe(0);
    cost.addRequests('a', '1', 1);
    const costs = cost.settle(6000);
    expect(usdOf(costs, 'a')).toBeCloseTo(6, 9);
    // Nothing carried twice.
    cost.addRequests('a', '1', 1);
    expect(total(cost.settle(7000))).toBeCloseTo(1, 9);
  });

  it('starts each interval afresh and costs nothing at 0 USD per hour', () => {
    const cost = new CostAttribution(0, 0);
    cost.addBusy('a', '1', 1);
    cost.addRequests('a', '1', 1);
    expect(total(cost.settle(1000))).toBe(0);
    const paid = new CostAttribution(3600, 0);
    paid.addBusy('a', '1', 1);
    paid.settle(1000);
    paid.addRequests('b', '1', 1);
    const next = paid.settle(2000);
    expect(next.map((c) => c.model)).toEqual(['b']);
    expect(usdOf(next, 'b')).toBeCloseTo(1, 9);
  });
});
