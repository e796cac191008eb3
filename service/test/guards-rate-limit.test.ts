import pino from 'pino';
import { Registry } from 'prom-client';
import { leaseSize, RateLimiter, windowOf } from '../src/guards/rate-limit';
import { ReplicaCount } from '../src/guards/replica-count';
import { RedisConnection } from '../src/redis/connection';
import { describeWithRedis, RedisServer } from '../../test/support/redis-server';

const logger = pino({ level: 'silent' });

async function burst(
  limiter: RateLimiter,
  identity: string,
  n: number,
  spec?: { rps: number; burst: number },
) {
  const decisions = [];
  for (let i = 0; i < n; i++) decisions.push(await limiter.consume(identity, spec));
  return decisions;
}

describe('rate limit window', () => {
  it('admits the burst at once and averages to rps', () => {
    expect(windowOf({ rps: 100, burst: 200 })).toEqual({ points: 200, durationSeconds: 2 });
    expect(windowOf({ rps: 4, burst: 6 })).toEqual({ points: 6, durationSeconds: 1.5 });
  });
  it('never uses a window under a second', () => {
    expect(windowOf({ rps: 100, burst: 10 })).toEqual({ points: 100, durationSeconds: 1 });
  });
});

describe('lease size', () => {
  it('takes a 32nd of the per-replica budget, or a single token when that is under 16', () => {
    expect(leaseSize(3200, 1)).toBe(100);
    expect(leaseSize(3200, 4)).toBe(25);
    expect(leaseSize(320, 2)).toBe(1);
    expect(leaseSize(20, 2)).toBe(1);
  });
});

describe('rate limiter without Redis', () => {
  it('admits the burst, then rejects with Retry-After and RateLimit fields', async () => {
    const limiter = new RateLimiter({ defaults: { rps: 5, burst: 5 } });
    const d = await burst(limiter, 'a', 7);
    expect(d.slice(0, 5).every((x) => x.allowed)).toBe(true);
    expect(d.map((x) => x.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
    expect(d[5]).toMatchObject({ allowed: false, limit: 5, store: 'local', retryAfterSeconds: 1 });
    expect(d[5].resetSeconds).toBeGreaterThanOrEqual(1);
    expect((await limiter.consume('b')).allowed).toBe(true);
  });

  it('applies a per-key override instead of the default', async () => {
    const limiter = new RateLimiter({ defaults: { rps: 100, burst: 100 } });
    const d = await burst(limiter, 'small', 3, { rps: 2, burst: 2 });
    expect(d.map((x) => x.allowed)).toEqual([true, true, false]);
    expect(d[0].limit).toBe(2);
  });

  it('splits the budget between the processes that share it', async () => {
    const limiter = new RateLimiter({ defaults: { rps: 10, burst: 10 }, replicas: () => 4 });
    const d = await burst(limiter, 'a', 4);
    expect(d.map((x) => x.allowed)).toEqual([true, true, false, false]);
    expect(d[0].limit).toBe(2);
  });

  it('gives the budget back after the window', async () => {
    const limiter = new RateLimiter({ defaults: { rps: 3, burst: 3 } });
    await burst(limiter, 'a', 4);
    await new Promise((r) => setTimeout(r, 1050));
    expect((await limiter.consume('a')).allowed).toBe(true);
  });
});

describeWithRedis('rate limiter with Redis', () => {
  let server: RedisServer;
  const connections: RedisConnection[] = [];
  const connect = async (commandTimeoutMs?: number) => {
    const c = new RedisConnection({
      url: server.url,
      logger,
      commandTimeoutMs,
      breaker: { resetTimeoutMs: 200 },
    });
    connections.push(c);
    expect(await c.waitUntilReady(3000)).toBe(true);
    return c;
  };

  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('holds one budget across replicas', async () => {
    const a = new RateLimiter({
      defaults: { rps: 10, burst: 10 },
      redis: await connect(),
      keyPrefix: 'shared1',
    });
    const b = new RateLimiter({
      defaults: { rps: 10, burst: 10 },
      redis: await connect(),
      keyPrefix: 'shared1',
    });
    const decisions = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).consume('k')));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    expect(decisions.every((d) => d.store === 'redis')).toBe(true);
  });

  it('stops asking Redis about a key once it is over its budget, until the window ends', async () => {
    const redis = await connect();
    const limiter = new RateLimiter({ defaults: { rps: 3, burst: 3 }, redis, keyPrefix: 'block' });
    const d = await burst(limiter, 'k', 10);
    expect(d.map((x) => x.allowed)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(
      d.slice(3).every((x) => x.remaining === 0 && x.retryAfterSeconds! >= 1 && x.store === 'redis'),
    ).toBe(true);
    // Only the first rejection reached Redis.
    expect(await redis.client.get('block:3:3:k')).toBe('4');
  });

  it('takes tokens from Redis in leases, one round trip for many concurrent requests', async () => {
    const redis = await connect();
    const limiter = new RateLimiter({ defaults: { rps: 3200, burst: 3200 }, redis, keyPrefix: 'lease' });
    const first = await Promise.all(Array.from({ length: 64 }, () => limiter.consume('k')));
    expect(first.every((d) => d.allowed && d.store === 'redis' && d.limit === 3200)).toBe(true);
    expect(await redis.client.get('lease:3200:3200:k')).toBe('100');
    await Promise.all(Array.from({ length: 100 }, () => limiter.consume('k')));
    expect(await redis.client.get('lease:3200:3200:k')).toBe('200');
  });

  it('never admits more than the budget across leasing replicas, and wastes at most a lease each', async () => {
    // A 100 s window: 2000 decisions on a loaded machine can outlast a 1 s one, and the next
    // window's budget would be admitted too.
    // A 5 s command timeout: a lease command that outlives the default 250 ms on a loaded machine
    // has its request decided by the local fallback, which is the outage path, not this test's.
    const spec = { rps: 16, burst: 1600 };
    const replicas = () => 2;
    const a = new RateLimiter({ defaults: spec, redis: await connect(5000), replicas, keyPrefix: 'lease2' });
    const b = new RateLimiter({ defaults: spec, redis: await connect(5000), replicas, keyPrefix: 'lease2' });
    const decisions = await Promise.all(Array.from({ length: 2000 }, (_, i) => (i % 2 ? a : b).consume('k')));
    expect(decisions.filter((d) => d.store !== 'redis')).toEqual([]);
    const admitted = decisions.filter((d) => d.allowed).length;
    expect(leaseSize(1600, 2)).toBe(25);
    expect(admitted).toBeLessThanOrEqual(1600);
    expect(admitted).toBeGreaterThanOrEqual(1600 - 2 * 25);
  });

  it("survives a spec's first request in the same tick as another Redis command", async () => {
    const redis = await connect();
    const limiter = new RateLimiter({ defaults: { rps: 5, burst: 5 }, redis, keyPrefix: 'first-tick' });
    await new Promise((r) => setImmediate(r));
    // The GET opens this tick's auto-pipeline; the consume is the first of its spec, so its limiter
    // is made now. Before the script was defined up front this killed the process from a nextTick.
    const get = redis.client.get('first-tick:other');
    const first = await limiter.consume('k', { rps: 7, burst: 7 });
    expect(await get).toBeNull();
    expect(first).toMatchObject({ allowed: true, store: 'redis', limit: 7 });
  });

  it('supports windows that are not whole seconds', async () => {
    const redis = await connect();
    const limiter = new RateLimiter({ defaults: { rps: 4, burst: 6 }, redis, keyPrefix: 'frac' });
    await burst(limiter, 'k', 6);
    const ttl = await redis.client.pttl('frac:4:6:k');
    expect(ttl).toBeGreaterThan(1000);
    expect(ttl).toBeLessThanOrEqual(1500);
  });

  it('falls back to the per-replica share while Redis is down, then goes global again', async () => {
    const registry = new Registry();
    const redis = await connect();
    const replicas = new ReplicaCount(redis, { key: 'replicas-test', intervalMs: 100 });
    const peer = new ReplicaCount(await connect(), { key: 'replicas-test', intervalMs: 100 });
    await peer.refresh();
    expect(await replicas.refresh()).toBe(2);
    const limiter = new RateLimiter({
      defaults: { rps: 10, burst: 10 },
      redis,
      replicas: () => replicas.value,
      registry,
      keyPrefix: 'outage',
    });
    await server.stop();
    await new Promise((r) => setTimeout(r, 100));
    const during = await burst(limiter, 'k', 8);
    expect(during.every((d) => d.store === 'local')).toBe(true);
    // Two replicas: this one may admit half of the burst, never more, never zero.
    expect(during.filter((d) => d.allowed)).toHaveLength(5);
    expect(during[7]).toMatchObject({ allowed: false, limit: 5 });
    expect(replicas.value).toBe(2);

    await server.start();
    expect(await redis.waitUntilReady(5000)).toBe(true);
    const after = await limiter.consume('k');
    expect(after).toMatchObject({ allowed: true, store: 'redis', limit: 10 });
    const rejected = (await registry.getMetricsAsJSON()).find(
      (m) => m.name === 'rate_limit_rejections_total',
    );
    expect(rejected?.values.find((v) => v.labels.store === 'local')?.value).toBe(3);
    await replicas.stop();
    await peer.stop();
  });

  it('drops replicas that stop refreshing', async () => {
    const r1 = new ReplicaCount(await connect(), { key: 'replicas-stale', intervalMs: 50 });
    const r2 = new ReplicaCount(await connect(), { key: 'replicas-stale', intervalMs: 50 });
    await r1.refresh();
    expect(await r2.refresh()).toBe(2);
    await new Promise((r) => setTimeout(r, 200));
    expect(await r2.refresh()).toBe(1);
  });
});
