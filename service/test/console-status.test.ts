/**
 * The console's data path without a browser: reading the exposition the service writes, deriving
 * rates, quantiles and ratios from it, traffic roles, and the collector's bounded ring. Metrics come
 * from real prom-client registries holding the service's own metric definitions.
 */
import { CONSOLE_POINT_FIELDS, ConsoleStatusSchema } from '@ml-platform/contract/wire';
import { Registry } from 'prom-client';
import { snapshotOf, versionKey } from '../src/console/metrics-snapshot';
import { parsePromText } from '../src/console/prom-text';
import { bucketQuantile, difference, perField, pointOf } from '../src/console/series';
import { StatusCollector } from '../src/console/status-collector';
import { trafficRoles } from '../src/console/traffic-roles';
import { ModelBreakers } from '../src/guards/model-breakers';
import { PredictionCache } from '../src/guards/prediction-cache';
import { ServiceMetrics } from '../src/observability/metrics';
import type { Counter } from 'prom-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('parsePromText', () => {
  it('reads label values with every escape prom-client writes', async () => {
    const registry = new Registry();
    const metrics = new ServiceMetrics(registry);
    const name = 'a"b\\c\nd<img src=x>';
    metrics.requests.inc({ model: name, version: '1', status: '200' }, 3);
    const samples = parsePromText(await registry.metrics());
    expect(samples).toContainEqual({
      name: 'inference_requests_total',
      labels: { model: name, version: '1', status: '200' },
      value: 3,
    });
  });

  it('reads +Inf buckets, unlabelled samples and skips comments', () => {
    const text = '# HELP x y\n# TYPE x counter\nx 4\nh_bucket{le="+Inf"} 7\n\n';
    expect(parsePromText(text)).toEqual([
      { name: 'x', labels: {}, value: 4 },
      { name: 'h_bucket', labels: { le: '+Inf' }, value: 7 },
    ]);
  });

  it('says which line is malformed', () => {
    expect(() => parsePromText('x{a="b} 1')).toThrow(/unterminated label value: x\{a="b\} 1/);
  });
});

describe('bucketQuantile', () => {
  const les = [0.1, 0.2, Infinity];
  it('interpolates inside the bucket like histogram_quantile', () => {
    expect(bucketQuantile(0.5, les, [10, 20, 20])).toBeCloseTo(0.1);
    expect(bucketQuantile(0.75, les, [10, 20, 20])).toBeCloseTo(0.15);
    expect(bucketQuantile(0.25, les, [10, 20, 20])).toBeCloseTo(0.05);
  });
  it('answers the highest finite bound for a rank in +Inf, and null when empty', () => {
    expect(bucketQuantile(0.99, les, [10, 20, 30])).toBe(0.2);
    expect(bucketQuantile(0.5, les, [0, 0, 0])).toBeNull();
  });
});

describe('snapshot and points', () => {
  async function scrape(registry: Registry) {
    return snapshotOf(parsePromText(await registry.metrics()));
  }

  it('derives req/s, errors, latency, batch size and cache hits per version from real metrics', async () => {
    const registry = new Registry();
    const m = new ServiceMetrics(registry);
    new PredictionCache({ maxMemoryBytes: 1024, registry });
    const hits = registry.getSingleMetric('prediction_cache_hits_total') as Counter<string>;
    const misses = registry.getSingleMetric('prediction_cache_misses_total') as Counter<string>;
    const v1 = { model: 'm', version: '1' };
    const before = await scrape(registry);

    m.requests.inc({ ...v1, status: '200' }, 8);
    m.requests.inc({ ...v1, status: '503' }, 2);
    m.requests.inc({ model: '(unknown)', version: '(unknown)', status: '404' }, 5);
    for (let i = 0; i < 10; i++) m.requestDuration.observe(v1, i < 9 ? 0.004 : 0.3);
    m.batchSize.observe(v1, 4);
    m.batchSize.observe(v1, 2);
    // 10 lookups: 3 memory hits, 7 memory misses of which 2 hit Redis.
    hits.inc({ ...v1, tier: 'memory' }, 3);
    misses.inc({ ...v1, tier: 'memory' }, 7);
    hits.inc({ ...v1, tier: 'redis' }, 2);
    misses.inc({ ...v1, tier: 'redis' }, 5);
    const after = await scrape(registry);

    expect([...after.versions.keys()]).toEqual([versionKey('m', '1')]);
    const key = versionKey('m', '1');
    const p = pointOf(difference(before.versions.get(key), after.versions.get(key)!), 2);
    expect(p.reqPerSec).toBe(5);
    expect(p.errorRatio).toBeCloseTo(0.2);
    expect(p.cacheHitRatio).toBeCloseTo(0.5);
    expect(p.meanBatchSize).toBe(3);
    expect(p.p50Ms!).toBeGreaterThan(2.5);
    expect(p.p50Ms!).toBeLessThanOrEqual(5);
    expect(p.p99Ms!).toBeGreaterThan(250);
  });

  it('reads breaker states, redis_up and the worker gauge', async () => {
    const registry = new Registry();
    const breakers = new ModelBreakers({ registry });
    await expect(
      breakers.fire('m', '2', { ...defaultBreaker, volume_threshold: 1 }, () =>
        Promise.reject(new Error('x')),
      ),
    ).rejects.toThrow('x');
    expect((await scrape(registry)).breakers.get(versionKey('m', '2'))).toBe('open');
    expect((await scrape(registry)).redisUp).toBeUndefined();
    breakers.shutdown();
    const gauges = snapshotOf([
      { name: 'redis_up', labels: {}, value: 0 },
      { name: 'service_worker_processes', labels: {}, value: 3 },
      { name: 'drift_score', labels: { model: 'm', version: '1' }, value: 0.4 },
      { name: 'model_confidence_shift', labels: { model: 'm', version: '1' }, value: 0.2 },
    ]);
    expect(gauges).toMatchObject({ redisUp: 0, workers: 3 });
    const point = pointOf(gauges.versions.get(versionKey('m', '1'))!, 1);
    expect(point).toMatchObject({ driftScore: 0.4, confidenceShift: 0.2, costPer1k: null });
  });

  it('charts attributed cost per 1k answers over the interval, and none without a pod cost', () => {
    const at = (requests: number, costUsd: number) =>
      snapshotOf([
        {
          name: 'inference_requests_total',
          labels: { model: 'm', version: '1', status: '200' },
          value: requests,
        },
        { name: 'inference_cost_usd_total', labels: { model: 'm', version: '1' }, value: costUsd },
      ]).versions.get(versionKey('m', '1'))!;
    // 2000 answers that cost $0.05 between the two scrapes: $0.025 per 1000.
    expect(pointOf(difference(at(1000, 0.01), at(3000, 0.06)), 2).costPer1k).toBeCloseTo(0.025, 10);
    expect(pointOf(difference(at(1000, 0), at(3000, 0)), 2).costPer1k).toBeNull();
  });

  it('restarts a count that went down (a restarted cluster worker) instead of going negative', () => {
    const key = versionKey('m', '1');
    const counts = (requests: number) =>
      snapshotOf([
        {
          name: 'inference_requests_total',
          labels: { model: 'm', version: '1', status: '200' },
          value: requests,
        },
      ]).versions.get(key)!;
    expect(difference(counts(100), counts(30)).requests).toBe(30);
  });
});

const defaultBreaker = {
  error_threshold_percentage: 50,
  volume_threshold: 10,
  reset_timeout_ms: 60_000,
  rolling_count_timeout_ms: 10_000,
};

describe('trafficRoles', () => {
  it('gives the stable version what the canary leaves, and lists A/B and shadow roles', () => {
    const roles = trafficRoles(
      {
        stable: '1',
        canary: { version: '2', weightPct: 10 },
        ab: {
          keyHeader: 'x-user',
          variants: [
            { name: 'a', version: '1', weightPct: 50 },
            { name: 'b', version: '3', weightPct: 50 },
          ],
        },
        shadow: { version: '4', samplePct: 5 },
      },
      '3',
    );
    expect(Object.fromEntries(roles)).toEqual({
      '1': [
        { variant: 'stable', weightPct: 90 },
        { variant: 'ab:a', weightPct: 50 },
      ],
      '2': [{ variant: 'canary', weightPct: 10 }],
      '3': [{ variant: 'ab:b', weightPct: 50 }],
      '4': [{ variant: 'shadow', weightPct: 5 }],
    });
  });

  it('without a policy, the serving version takes everything; unloaded, nothing does', () => {
    expect(Object.fromEntries(trafficRoles(undefined, '2'))).toEqual({
      '2': [{ variant: 'stable', weightPct: 100 }],
    });
    expect(trafficRoles(undefined, undefined).size).toBe(0);
  });
});

describe('StatusCollector', () => {
  const engine = {
    index: () => [{ name: 'm', version: '1', state: 'READY' as const, reason: '' }],
    modelConfig: (): never => {
      throw new Error('no config in this test');
    },
    servingVersion: () => '1',
  };

  it('keeps a ring no longer than its window, with counts that add up to the counter', async () => {
    const registry = new Registry();
    const m = new ServiceMetrics(registry);
    const collector = new StatusCollector({
      metricsText: () => registry.metrics(),
      engine,
      intervalMs: 20,
      windowSeconds: 0.2,
      summarySeconds: 10,
    });
    const whole = new StatusCollector({ metricsText: () => registry.metrics(), engine, intervalMs: 20 });
    try {
      await collector.status();
      await whole.status();
      await sleep(60); // the first intervals, whose points are in the series, pass before any count
      for (let i = 0; i < 20; i++) {
        m.requests.inc({ model: 'm', version: '1', status: '200' }, 7);
        await sleep(15);
      }
      await sleep(60);
      const s = await collector.status();
      expect(s.series.t.length).toBeGreaterThan(3);
      // 0.2 s of 20 ms intervals: 10, plus the sample the oldest interval starts from.
      expect(s.series.t.length).toBeLessThanOrEqual(11);
      expect(s.models[0].versions[0]).toMatchObject({
        version: '1',
        traffic: [{ variant: 'stable', weightPct: 100 }],
      });
      // The short ring has dropped its oldest samples; the long one still starts before the load.
      expect(s.models[0].versions[0].recent!.requests).toBeLessThan(140);
      const all = await whole.status();
      expect(all.models[0].versions[0].recent!.requests).toBe(140);
      const { t } = all.series;
      const perSecond = all.series.versions[0].points.reqPerSec;
      expect(perSecond[0]).toBeNull(); // no series before its first count
      const summed = perSecond.reduce<number>(
        (sum, r, i) => sum + (r ?? 0) * (i === 0 ? 0 : (t[i] - t[i - 1]) / 1000),
        0,
      );
      // Rates are rounded to 4 significant digits.
      expect(Math.abs(summed - 140)).toBeLessThan(0.5);
      expect(s.health).toEqual({
        workers: 1,
        redis: 'not configured',
        rateLimit: { mode: 'local', processesSharing: 1 },
      });

      const later = await collector.status(s.series.t[s.series.t.length - 1]);
      expect(later.series.t.every((t) => t > s.series.t[s.series.t.length - 1])).toBe(true);

      // The documented contract (GET /openapi.json is generated from it), with points in every field.
      expect(ConsoleStatusSchema.safeParse(all).error).toBeUndefined();
      expect(Object.keys(perField(() => 0))).toEqual([...CONSOLE_POINT_FIELDS]);
    } finally {
      collector.stop();
      whole.stop();
    }
  });

  it('samples only while asked: it stops after the idle time', async () => {
    const registry = new Registry();
    let scrapes = 0;
    const collector = new StatusCollector({
      metricsText: () => {
        scrapes++;
        return registry.metrics();
      },
      engine,
      intervalMs: 10,
      idleStopMs: 100,
    });
    await collector.status();
    await sleep(300);
    const stopped = scrapes;
    await sleep(100);
    expect(scrapes).toBe(stopped);
    expect(stopped).toBeGreaterThan(2);
    collector.stop();
  });
});
