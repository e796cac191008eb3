import type { InferResult } from '../src/core/engine';
import { ModelStatistics } from '../src/observability/model-statistics';

const result = (modelName: string, modelVersion: string) =>
  ({ modelName, modelVersion, outputs: [] }) as InferResult;
const batch = (size: number, requests: number, computeSeconds: number, ok = true) => ({
  model: 'm',
  version: '1',
  size,
  requests,
  queueSeconds: Array.from({ length: requests }, () => 0.001),
  computeSeconds,
  busySeconds: computeSeconds,
  ok,
});

describe('ModelStatistics', () => {
  it('counts answers, failures after routing, cache hits and batches per version', () => {
    const stats = new ModelStatistics();
    const before = Date.now();
    stats.observe({ model: 'm', status: 200, seconds: 0.002, result: result('m', '1') });
    stats.observe({ model: 'm', status: 200, seconds: 0.001, result: result('m', '1'), servedBy: 'cache' });
    stats.observe({ model: 'm', status: 504, seconds: 0.5, route: { version: '1', variant: 'stable' } });
    // Failed before routing (bad input): no version to count under.
    stats.observe({ model: 'm', status: 400, seconds: 0.0001 });
    // A fallback's answer counts for the model that answered.
    stats.observe({ model: 'm', status: 200, seconds: 0.003, result: result('lite', '1') });
    stats.onBatch(batch(3, 2, 0.004));
    stats.onBatch(batch(3, 1, 0.002));
    stats.onBatch(batch(8, 1, 0.01));
    stats.onBatch(batch(5, 1, 0.01, false)); // a failed run executed nothing

    const [m, untouched] = stats.report([
      { name: 'm', version: '1' },
      { name: 'm', version: '2' },
    ]);
    expect(m.last_inference).toBeGreaterThanOrEqual(before);
    expect(m.inference_stats.success).toEqual({ count: 2, ns: 3_000_000 });
    expect(m.inference_stats.cache_hit).toEqual({ count: 1, ns: 1_000_000 });
    expect(m.inference_stats.fail).toEqual({ count: 1, ns: 500_000_000 });
    expect(m.execution_count).toBe(3);
    expect(m.inference_count).toBe(14);
    expect(m.inference_stats.queue).toEqual({ count: 4, ns: 4_000_000 });
    expect(m.inference_stats.compute_infer).toEqual({ count: 4, ns: 2 * 4_000_000 + 2_000_000 + 10_000_000 });
    expect(m.batch_stats).toEqual([
      { batch_size: 3, compute_infer: { count: 2, ns: 6_000_000 } },
      { batch_size: 8, compute_infer: { count: 1, ns: 10_000_000 } },
    ]);
    expect(untouched).toMatchObject({
      name: 'm',
      version: '2',
      last_inference: 0,
      execution_count: 0,
      batch_stats: [],
    });
    expect(stats.report([{ name: 'lite', version: '1' }])[0].inference_stats.success.count).toBe(1);
  });
});
