import pino from 'pino';
import { LookupTimeoutError, OnlineStore, decodeStored, encodeStored } from '../src/features/online-store';
import { RedisConnection, RedisUnavailableError } from '../src/redis/connection';
import { RedisServer, describeWithRedis } from '../../test/support/redis-server';

describe('online store encoding', () => {
  it('round-trips doubles exactly and refuses garbage', () => {
    for (const value of [0.1 + 0.2, -1 / 3, 1e-300, 123456789.123456789, -0]) {
      const v = { value, eventTime: 981_234_567_890 };
      expect(decodeStored(encodeStored(v))).toEqual(v);
    }
    expect(decodeStored(null)).toBeUndefined();
    expect(decodeStored('abc')).toBeUndefined();
    expect(decodeStored('1|x')).toBeUndefined();
  });
});

describeWithRedis('online store on a real Redis', () => {
  let server: RedisServer;
  let redis: RedisConnection;
  let store: OnlineStore;

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = new RedisConnection({
      url: server.url,
      logger: pino({ level: 'silent' }),
      commandTimeoutMs: 2000,
    });
    expect(await redis.waitUntilReady(5000)).toBe(true);
    store = new OnlineStore(redis);
  });
  afterAll(async () => {
    await redis?.close();
    await server?.stop();
  });

  it('writes in pipelined batches with progress and reads every key in one lookup, missing ones undefined', async () => {
    const entries = new Map(
      Array.from({ length: 2500 }, (_, i) => [`m:e:k${i}`, { value: i / 7, eventTime: 1000 + i }] as const),
    );
    const progress: number[] = [];
    await store.write(entries, { batchSize: 1000, onProgress: (done) => progress.push(done) });
    expect(progress).toEqual([1000, 2000, 2500]);
    const found = await store.lookup(['m:e:k7', 'm:e:absent', 'm:e:k2499'], 1000);
    expect(found).toEqual([{ value: 1, eventTime: 1007 }, undefined, { value: 2499 / 7, eventTime: 3499 }]);
    // Rewriting the same values leaves the store as it was.
    const before = await redis.client.dbsize();
    await store.write(entries);
    expect(await redis.client.dbsize()).toBe(before);
  });

  it('gives up after the lookup timeout when Redis hangs', async () => {
    server.pause();
    try {
      const started = performance.now();
      await expect(store.lookup(['m:e:k1'], 100)).rejects.toBeInstanceOf(LookupTimeoutError);
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      server.resume();
    }
  });

  it('fails fast when Redis is gone', async () => {
    await server.stop();
    await new Promise((r) => setTimeout(r, 100));
    await expect(store.lookup(['m:e:k1'], 1000)).rejects.toBeInstanceOf(RedisUnavailableError);
  });
});
