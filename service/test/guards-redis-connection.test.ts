import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { PredictionCache } from '../src/guards/prediction-cache';
import {
  reconnectDelayMs,
  redactRedisUrl,
  RedisConnection,
  RedisUnavailableError,
} from '../src/redis/connection';
import type { InferResult } from '../src/core/engine';
import { describeWithRedis, RedisServer } from '../../test/support/redis-server';
import { makeLoopbackCert, opensslUnavailableReason } from '../../test/support/tls-cert';

const logger = pino({ level: 'silent' });
const labels = { model: 'm', version: '1' };
const policy = { ttlSeconds: 60 };
const prediction = (v: number): InferResult => ({
  modelName: 'm',
  modelVersion: '1',
  outputs: [{ name: 'y', datatype: 'FP32', shape: [1], data: new Float32Array([v]) }],
});

describe('redis connection helpers', () => {
  it('backs off exponentially with jitter, capped', () => {
    expect(reconnectDelayMs(1, 2000, () => 0)).toBe(50);
    expect(reconnectDelayMs(1, 2000, () => 1)).toBe(100);
    expect(reconnectDelayMs(3, 2000, () => 1)).toBe(400);
    expect(reconnectDelayMs(30, 2000, () => 1)).toBe(2000);
    expect(reconnectDelayMs(30, 2000, () => 0)).toBe(1000);
  });

  it('never lets a password into the logged URL', () => {
    expect(redactRedisUrl('rediss://:s3cret@cache.example:6379')).toBe('rediss://:***@cache.example:6379');
    expect(redactRedisUrl('redis://app:s3cret@cache.example:6379/2')).toBe(
      'redis://***:***@cache.example:6379/2',
    );
    expect(redactRedisUrl('redis://cache.example:6379')).toBe('redis://cache.example:6379');
    expect(redactRedisUrl('not a url s3cret')).not.toContain('s3cret');
  });
});

describeWithRedis('redis connection against a real server', () => {
  it('fails fast while Redis cannot be reached at all, without throwing out of the cache', async () => {
    const server = await RedisServer.start();
    const url = server.url;
    await server.stop();
    const redis = new RedisConnection({ url, logger, connectTimeoutMs: 200 });
    try {
      const started = performance.now();
      await expect(redis.run((c) => c.ping())).rejects.toBeInstanceOf(RedisUnavailableError);
      const cache = new PredictionCache({ maxMemoryBytes: 1 << 20, redis });
      expect((await cache.getOrCompute('k', labels, policy, async () => prediction(1))).outcome).toBe('miss');
      expect(performance.now() - started).toBeLessThan(100);
    } finally {
      await redis.close();
    }
  });

  it('lets the process exit at once when closed while waiting to reconnect', async () => {
    const server = await RedisServer.start();
    const url = server.url;
    await server.stop();
    // Its own process: what is measured is whether anything the connection left behind holds the
    // event loop open, which a jest worker only shows as a forced exit at the end of the run.
    const script = `
      const { RedisConnection } = require(${JSON.stringify(require.resolve('../src/redis/connection'))});
      const logger = require(${JSON.stringify(require.resolve('pino'))})({ level: 'silent' });
      const redis = new RedisConnection({ url: ${JSON.stringify(url)}, logger, connectTimeoutMs: 200 });
      redis.client.once('reconnecting', () => {
        const closedAt = Date.now();
        process.once('exit', () => process.stdout.write(String(Date.now() - closedAt)));
        void redis.close();
      });`;
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    // ioredis' disconnectTimeout is 2 s; jest-worker gives a worker 500 ms before forcing it.
    expect(Number(out)).toBeLessThan(500);
  }, 20_000);

  it('opens its breaker on a hung Redis, stops waiting on it, and recovers by itself', async () => {
    const server = await RedisServer.start();
    const registry = new Registry();
    const redis = new RedisConnection({
      url: server.url,
      logger,
      registry,
      commandTimeoutMs: 100,
      breaker: { volumeThreshold: 3, resetTimeoutMs: 500 },
    });
    try {
      expect(await redis.waitUntilReady(3000)).toBe(true);
      const cache = new PredictionCache({ maxMemoryBytes: 1 << 20, redis });
      server.pause();
      for (let i = 0; i < 4; i++)
        await cache.getOrCompute(`hung${i}`, labels, policy, async () => prediction(i));
      expect(redis.isUp()).toBe(false);
      const up = async () =>
        (await registry.getMetricsAsJSON()).find((m) => m.name === 'redis_up')!.values[0].value;
      expect(await up()).toBe(0);
      // Breaker open: a request no longer pays the command timeout.
      const started = performance.now();
      expect((await cache.getOrCompute('fast', labels, policy, async () => prediction(9))).outcome).toBe(
        'miss',
      );
      expect(performance.now() - started).toBeLessThan(50);

      server.resume();
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        await cache.getOrCompute(`probe${Date.now()}`, labels, policy, async () => prediction(0));
        if (redis.isUp()) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(redis.isUp()).toBe(true);
      expect(await up()).toBe(1);
    } finally {
      await redis.close();
      await server.stop();
    }
  }, 20_000);

  const tlsSkip = opensslUnavailableReason();
  (tlsSkip ? it.skip : it)(
    'speaks rediss:// with a password, as ElastiCache in-transit encryption requires',
    async () => {
      const cert = makeLoopbackCert();
      const server = await RedisServer.start({ password: 'tls-pa55', tls: cert });
      expect(server.url).toMatch(/^rediss:\/\/:tls-pa55@127\.0\.0\.1:\d+$/);
      const ca = readFileSync(cert.certFile);
      const redis = new RedisConnection({ url: server.url, logger, tls: { ca } });
      const wrongPassword = new RedisConnection({
        url: server.url.replace('tls-pa55', 'nope'),
        logger,
        tls: { ca },
      });
      const plaintext = new RedisConnection({
        url: server.url.replace('rediss://', 'redis://'),
        logger,
        connectTimeoutMs: 300,
      });
      try {
        expect(await redis.waitUntilReady(5000)).toBe(true);
        const writer = new PredictionCache({ maxMemoryBytes: 1 << 20, redis });
        await writer.getOrCompute('tls', labels, policy, async () => prediction(5));
        await writer.flush();
        const reader = new PredictionCache({ maxMemoryBytes: 1 << 20, redis });
        expect((await reader.getOrCompute('tls', labels, policy, async () => prediction(-1))).outcome).toBe(
          'hit-redis',
        );
        expect(await wrongPassword.waitUntilReady(1000)).toBe(false);
        expect(await plaintext.waitUntilReady(1000)).toBe(false);
      } finally {
        await Promise.all([redis.close(), wrongPassword.close(), plaintext.close()]);
        await server.stop();
      }
    },
    20_000,
  );
  if (tlsSkip) console.warn(`skipping the rediss:// test: ${tlsSkip}`);
});
