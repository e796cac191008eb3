import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { PREDICTION_CACHE_REDIS_PREFIX, predictionCacheKey } from '@ml-platform/service/guards/cache-key';
import { describeWithRedis, RedisServer } from '../support/redis-server';
import { FIXTURE_MODELS, makeModelRepo } from '../support/model-repo';
import { startServiceProcess, waitReady, type ServiceProcess } from '../support/service-process';
import { scrapeMetric } from '../support/load';

/**
 * Hostile input against the guards of a real service process: garbage credentials, oversized
 * headers, bodies that trickle in, and poisoned entries in the shared Redis cache. Each gets a
 * clear error or is ignored, and the service keeps serving.
 */
const KEY = 'bad-input-test-key';
const body = (index: number) =>
  JSON.stringify({ inputs: [{ name: 'index', shape: [1, 1], datatype: 'INT64', data: [index] }] });

function rawRequest(
  url: string,
  headers: Record<string, string | number>,
  payload?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describeWithRedis('chaos: bad input against the guards', () => {
  let redis: RedisServer;
  let client: Redis;
  let repo: ReturnType<typeof makeModelRepo>;
  let svc: ServiceProcess;
  let inferUrl: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    client = new Redis(redis.url);
    repo = makeModelRepo([
      {
        name: 'lookup',
        from: join(FIXTURE_MODELS, 'flaky-fallback'),
        config: { cache: { enabled: true, ttl_seconds: 60 } },
      },
    ]);
    svc = await startServiceProcess({ MODEL_REPOSITORY: repo.path, REDIS_URL: redis.url, API_KEYS: KEY });
    await waitReady(svc, 60_000);
    inferUrl = `${svc.url}/v2/models/lookup/infer`;
  }, 120_000);
  afterAll(async () => {
    await svc?.stop();
    client?.disconnect();
    await redis?.stop();
    repo?.cleanup();
  });

  const ok = async () => {
    const r = await rawRequest(inferUrl, { 'content-type': 'application/json', 'x-api-key': KEY }, body(1));
    expect(r.status).toBe(200);
  };

  it.each([
    ['an empty bearer', 'Bearer '],
    ['a scheme only', 'Bearer'],
    ['Basic credentials', 'Basic Zm9vOmJhcg=='],
    ['control characters', 'Bearer \t\tkey'],
    ['8 KB of noise', `Bearer ${'A9%'.repeat(2700)}`],
    ['the key with a suffix', `Bearer ${KEY}x`],
    ['two keys', `Bearer ${KEY} ${KEY}`],
  ])('answers garbage Authorization (%s) with 401 and keeps serving', async (_n, authorization) => {
    const r = await rawRequest(inferUrl, { 'content-type': 'application/json', authorization }, body(1));
    expect(r.status).toBe(401);
    expect(JSON.parse(r.text)).toEqual({ error: expect.any(String) });
    expect(r.text).not.toContain(KEY);
    await ok();
  });

  it('answers oversized headers with 431 and keeps serving', async () => {
    // A raw request with no body: once the server has read everything it was sent, it closes
    // cleanly after its 431 instead of resetting a connection with unread bytes in it.
    const { port } = new URL(svc.url);
    const response = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write(
          `POST /v2/models/lookup/infer HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: ${KEY}\r\n` +
            `x-filler: ${'x'.repeat(24 * 1024)}\r\ncontent-length: 0\r\n\r\n`,
        );
      });
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(response).toMatch(/^HTTP\/1\.1 431 /);
    await ok();
  });

  it('keeps serving while bodies trickle in, then answers them', async () => {
    const payload = body(2);
    const slow = Array.from({ length: 8 }, () => {
      const req = http.request(inferUrl, {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': payload.length, 'x-api-key': KEY },
      });
      const status = new Promise<number>((resolve, reject) => {
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
      });
      return { req, status };
    });
    for (let i = 0; i < payload.length; i += 8) {
      for (const s of slow) s.req.write(payload.slice(i, i + 8));
      if (i % 32 === 0) await ok();
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const s of slow) s.req.end();
    expect(await Promise.all(slow.map((s) => s.status))).toEqual(Array(8).fill(200));
  }, 30_000);

  it('ignores malformed cache entries in Redis, counts them, and repairs them', async () => {
    const tensor = (i: number) => [
      { name: 'index', datatype: 'INT64' as const, shape: [1, 1], data: new BigInt64Array([BigInt(i)]) },
    ];
    const key = (i: number) =>
      `${PREDICTION_CACHE_REDIS_PREFIX}${predictionCacheKey('lookup', '1', tensor(i))}`;
    await client.hset(key(501), 'field', 'value');
    await client.set(key(502), Buffer.from('MLPC\u0001\u00ff\u00ff\u00ff\u00ffgarbage'));
    await client.set(key(503), 'just a string');
    for (const i of [501, 502, 503]) {
      const r = await fetch(inferUrl, { method: 'POST', headers: { 'x-api-key': KEY }, body: body(i) });
      expect(r.status).toBe(200);
      expect(r.headers.get('x-cache')).toBe('miss');
      expect(await r.json()).toMatchObject({ outputs: [{ data: [Math.fround((i % 10) / 10)] }] });
    }
    expect(await scrapeMetric(svc.url, 'prediction_cache_malformed_entries_total', { tier: 'redis' })).toBe(
      3,
    );
    expect(await scrapeMetric(svc.url, 'redis_up')).toBe(1);
    // The service wrote good entries over the bad ones.
    await new Promise((r) => setTimeout(r, 100));
    for (const i of [501, 502, 503]) {
      expect(await client.type(key(i))).toBe('string');
      expect((await client.getBuffer(key(i)))!.subarray(0, 4).toString()).toBe('MLPC');
    }
  });
});
