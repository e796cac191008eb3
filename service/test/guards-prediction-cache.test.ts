import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import pino from 'pino';
import { Registry } from 'prom-client';
import { entryCost, PredictionCache } from '../src/guards/prediction-cache';
import { RedisConnection } from '../src/redis/connection';
import type { InferResult } from '../src/core/engine';
import { describeWithRedis, RedisServer } from '../../test/support/redis-server';
import { encodePrediction, SharedLayouts } from '../src/guards/cache-codec';
import { memoryEntry } from '../src/guards/cached-result';
import { jsonOutputsText } from '../src/protocol/infer-response';

const logger = pino({ level: 'silent' });
const labels = { model: 'm', version: '1' };
const policy = { ttlSeconds: 60 };

function prediction(value: number, bytes = 4): InferResult {
  const data = new Float32Array(bytes / 4).fill(value);
  return {
    modelName: 'm',
    modelVersion: '1',
    outputs: [{ name: 'y', datatype: 'FP32', shape: [data.length], data }],
  };
}
const valueOf = (r: InferResult) => (r.outputs[0].data as Float32Array)[0];

async function metric(registry: Registry, name: string, match: Record<string, string>): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(match).every(([k, want]) => x.labels[k] === want));
  return (v?.value as number) ?? 0;
}

describe('prediction cache, in-process tier', () => {
  it('computes once, then answers from memory', async () => {
    const cache = new PredictionCache({ maxMemoryBytes: 1 << 20 });
    let calls = 0;
    const compute = async () => prediction(++calls);
    const first = await cache.getOrCompute('k', labels, policy, compute);
    const second = await cache.getOrCompute('k', labels, policy, compute);
    expect(first.outcome).toBe('miss');
    expect(second.outcome).toBe('hit-memory');
    expect(valueOf(second.result)).toBe(1);
    expect(calls).toBe(1);
    // The hit brings its outputs' JSON text, for the answer to skip decoding and encoding them.
    expect(second.result.outputsJson).toBe(jsonOutputsText(prediction(1).outputs));
    expect(first.result.outputsJson).toBeUndefined();
  });

  it('computes identical concurrent requests once', async () => {
    const cache = new PredictionCache({ maxMemoryBytes: 1 << 20 });
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const compute = async () => {
      calls++;
      await gate;
      return prediction(calls);
    };
    const all = Array.from({ length: 20 }, () => cache.getOrCompute('k', labels, policy, compute));
    release();
    const results = await Promise.all(all);
    expect(calls).toBe(1);
    expect(results.every((r) => valueOf(r.result) === 1)).toBe(true);
  });

  it('shares a failure with its waiters and caches nothing', async () => {
    const cache = new PredictionCache({ maxMemoryBytes: 1 << 20 });
    let calls = 0;
    const failing = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('boom');
    };
    const all = await Promise.allSettled(
      [1, 2, 3].map(() => cache.getOrCompute('k', labels, policy, failing)),
    );
    expect(all.every((r) => r.status === 'rejected')).toBe(true);
    expect(calls).toBe(1);
    const after = await cache.getOrCompute('k', labels, policy, async () => prediction(5));
    expect(after.outcome).toBe('miss');
  });

  it('stays within its byte budget, evicting least recently used', async () => {
    const big = prediction(0, 4096);
    const entryBytes = entryCost(memoryEntry(big, encodePrediction(big), new SharedLayouts()).bytes, 2);
    const cache = new PredictionCache({ maxMemoryBytes: entryBytes * 3 + 10 });
    for (let i = 0; i < 10; i++)
      await cache.getOrCompute(`k${i}`, labels, policy, async () => prediction(i, 4096));
    expect(cache.memoryBytes).toBeLessThanOrEqual(entryBytes * 3 + 10);
    expect((await cache.getOrCompute('k9', labels, policy, async () => prediction(-1, 4096))).outcome).toBe(
      'hit-memory',
    );
    expect((await cache.getOrCompute('k0', labels, policy, async () => prediction(-1, 4096))).outcome).toBe(
      'miss',
    );
  });

  it('counts at least what an entry really holds on the heap', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const n = 20_000;
    const cache = new PredictionCache({ maxMemoryBytes: 1 << 30 });
    // A classifier's answer (a label and two probabilities) under a SHA-256 hex key, as in service.
    const answer = (i: number): InferResult => ({
      modelName: 'breast-cancer',
      modelVersion: '1',
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [1], data: new BigInt64Array([BigInt(i & 1)]) },
        {
          name: 'probabilities',
          datatype: 'FP32',
          shape: [1, 2],
          data: new Float32Array([i / n, 1 - i / n]),
        },
      ],
    });
    const key = (i: number) => createHash('sha256').update(String(i)).digest('hex');
    gc();
    const before = process.memoryUsage();
    for (let i = 0; i < n; i++) cache.set(key(i), answer(i), 60);
    gc();
    const after = process.memoryUsage();
    const held = (after.heapUsed + after.external - before.heapUsed - before.external) / n;
    const counted = cache.memoryBytes / n;
    process.stdout.write(
      `prediction cache entry: ${held.toFixed(0)} bytes held, ${counted.toFixed(0)} counted\n`,
    );
    expect(held).toBeLessThanOrEqual(counted);
    expect(cache.memoryBytes).toBeGreaterThan(0);
  });

  it('runs without an in-process tier when its budget is 0', async () => {
    const cache = new PredictionCache({ maxMemoryBytes: 0 });
    await cache.getOrCompute('k', labels, policy, async () => prediction(1));
    expect((await cache.getOrCompute('k', labels, policy, async () => prediction(2))).outcome).toBe('miss');
    expect(cache.memoryBytes).toBe(0);
  });

  it('expires entries after their TTL', async () => {
    const cache = new PredictionCache({ maxMemoryBytes: 1 << 20 });
    await cache.getOrCompute('k', labels, { ttlSeconds: 0.05 }, async () => prediction(1));
    await new Promise((r) => setTimeout(r, 80));
    expect((await cache.getOrCompute('k', labels, policy, async () => prediction(2))).outcome).toBe('miss');
  });
});

describeWithRedis('prediction cache, Redis tier', () => {
  let server: RedisServer;
  let redis: RedisConnection;
  let registry: Registry;

  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    registry = new Registry();
    redis = new RedisConnection({ url: server.url, logger, registry });
    expect(await redis.waitUntilReady(3000)).toBe(true);
    await redis.client.flushall();
  });
  afterEach(async () => {
    await redis.close();
  });

  it('answers another process from Redis and counts hits and misses per tier', async () => {
    const writer = new PredictionCache({ maxMemoryBytes: 1 << 20, redis, registry });
    await writer.getOrCompute('k', labels, policy, async () => prediction(3));
    await writer.flush();
    expect(await redis.client.pttl('mlp:pc:v1:k')).toBeGreaterThan(55_000);

    const reader = new PredictionCache({ maxMemoryBytes: 1 << 20, redis, registry: new Registry() });
    const fromRedis = await reader.getOrCompute('k', labels, policy, async () => prediction(-1));
    expect(fromRedis.outcome).toBe('hit-redis');
    expect(valueOf(fromRedis.result)).toBe(3);
    const fromMemory = await reader.getOrCompute('k', labels, policy, async () => prediction(-1));
    expect(fromMemory.outcome).toBe('hit-memory');
    // The Redis hit filed the text of its own outputs in the memory tier.
    expect(fromMemory.result.outputsJson).toBe(jsonOutputsText(prediction(3).outputs));
    expect(valueOf(fromMemory.result)).toBe(3);

    expect(await metric(registry, 'prediction_cache_misses_total', { tier: 'memory' })).toBe(1);
    expect(await metric(registry, 'prediction_cache_misses_total', { tier: 'redis' })).toBe(1);
  });

  it.each([
    ['a hash (wrong type)', (k: string) => redis.client.hset(k, 'f', 'v')],
    ['a list (wrong type)', (k: string) => redis.client.rpush(k, 'x')],
    ['corrupt bytes', (k: string) => redis.client.set(k, Buffer.from([0xff, 0x00, 0x13, 0x37]))],
    [
      'a truncated entry',
      (k: string) => redis.client.set(k, encodePrediction(prediction(1, 64)).subarray(0, 30)),
    ],
    [
      'an entry for another model',
      (k: string) => redis.client.set(k, encodePrediction({ ...prediction(1), modelName: 'other' })),
    ],
  ])('ignores %s, counts it, recomputes and repairs the entry', async (_name, plant) => {
    await plant('mlp:pc:v1:k');
    const cache = new PredictionCache({ maxMemoryBytes: 1 << 20, redis, registry });
    const r = await cache.getOrCompute('k', labels, policy, async () => prediction(8));
    expect(r.outcome).toBe('miss');
    expect(valueOf(r.result)).toBe(8);
    expect(await metric(registry, 'prediction_cache_malformed_entries_total', { tier: 'redis' })).toBe(1);
    await cache.flush();
    const fresh = new PredictionCache({ maxMemoryBytes: 1 << 20, redis });
    expect((await fresh.getOrCompute('k', labels, policy, async () => prediction(-1))).outcome).toBe(
      'hit-redis',
    );
    expect(redis.isUp()).toBe(true);
  });

  it('keeps serving from memory while Redis is down and uses Redis again once it is back', async () => {
    const cache = new PredictionCache({ maxMemoryBytes: 1 << 20, redis, registry });
    await cache.getOrCompute('warm', labels, policy, async () => prediction(1));
    await cache.flush();
    await server.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(redis.isUp()).toBe(false);
    expect(await metric(registry, 'redis_up', {})).toBe(0);
    expect((await cache.getOrCompute('warm', labels, policy, async () => prediction(-1))).outcome).toBe(
      'hit-memory',
    );
    const cold = await cache.getOrCompute('cold', labels, policy, async () => prediction(2));
    expect(cold.outcome).toBe('miss');
    expect(
      await metric(registry, 'prediction_cache_redis_errors_total', { operation: 'get' }),
    ).toBeGreaterThan(0);

    await server.start();
    expect(await redis.waitUntilReady(5000)).toBe(true);
    expect(await metric(registry, 'redis_up', {})).toBe(1);
    await cache.getOrCompute('after', labels, policy, async () => prediction(4));
    await cache.flush();
    const other = new PredictionCache({ maxMemoryBytes: 1 << 20, redis });
    expect((await other.getOrCompute('after', labels, policy, async () => prediction(-1))).outcome).toBe(
      'hit-redis',
    );
  });
});
