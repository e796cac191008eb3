/**
 * Guard benchmarks (issue 3), part of `npm run bench`:
 *   1. prediction cache hits from the in-process tier at 64 connections (target: p99 < 2 ms);
 *   2. what a Redis hit adds over an in-process hit at p50 (target: < 1 ms);
 *   3. throughput with auth + rate limiting on vs off, on the small classifier (target: < 10% cost).
 * The service runs as its own process on loopback, one configuration at a time; latency comes from
 * a closed-loop keep-alive client timing each request with performance.now() (autocannon only
 * reports whole milliseconds), throughput from autocannon.
 *
 *   npx tsx service/bench/guards.ts [--seconds 10]
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { RedisServer } from '../../test/support/redis-server';
import {
  REPO_ROOT,
  startServiceProcess,
  waitReady,
  type ServiceProcess,
} from '../../test/support/service-process';
import { percentile } from '../../test/support/load';
import pino from 'pino';
import { AdmissionGuard } from '../src/guards/admission-guard';
import { ApiKeyAuth } from '../src/guards/auth';
import { RateLimiter } from '../src/guards/rate-limit';
import { RedisConnection } from '../src/redis/connection';

const SECONDS = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 10;
const KEY = 'bench-key';
const MODEL_URL = '/v2/models/breast-cancer/infer';

const rows: number[][] = JSON.parse(
  readFileSync(join(REPO_ROOT, 'models', 'breast-cancer', 'testdata', 'test.json'), 'utf8'),
).inputs;
const body = (row: number[], parameters?: Record<string, unknown>) =>
  JSON.stringify({
    parameters,
    inputs: [{ name: 'input', shape: [1, row.length], datatype: 'FP32', data: row }],
  });

interface LatencyRun {
  n: number;
  rps: number;
  p50: number;
  p99: number;
  statuses: Record<number, number>;
  cache: Record<string, number>;
}

/** `connections` keep-alive connections, each sending its next request when the last one answered. */
async function closedLoop(
  url: string,
  payload: string,
  connections: number,
  seconds: number,
  headers: Record<string, string> = {},
): Promise<LatencyRun> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const { hostname, port } = new URL(url);
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  const cache: Record<string, number> = {};
  const stopAt = performance.now() + seconds * 1000;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      const req = http.request(
        {
          agent,
          hostname,
          port,
          path: MODEL_URL,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            ...headers,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - started);
            statuses[res.statusCode!] = (statuses[res.statusCode!] ?? 0) + 1;
            const c = String(res.headers['x-cache']);
            cache[c] = (cache[c] ?? 0) + 1;
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < stopAt) await one();
    }),
  );
  agent.destroy();
  const elapsed = (performance.now() - started) / 1000;
  return {
    n: latencies.length,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    statuses,
    cache,
  };
}

async function throughput(url: string, payload: string, headers: Record<string, string> = {}) {
  const r = await autocannon({
    url: url + MODEL_URL,
    method: 'POST',
    connections: 64,
    duration: SECONDS,
    body: payload,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { rps: r.requests.average, non2xx: r.non2xx, errors: r.errors };
}

async function withService<T>(
  env: Record<string, string>,
  run: (svc: ServiceProcess) => Promise<T>,
): Promise<T> {
  const svc = await startServiceProcess({ LOG_LEVEL: 'info', ...env }, 60_000);
  try {
    await waitReady(svc, 60_000);
    return await run(svc);
  } finally {
    await svc.stop();
  }
}

const ms = (x: number) => `${x.toFixed(3)} ms`;

/** Cumulative request-duration histogram buckets of the model, from the service's own /metrics. */
async function durationBuckets(url: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets = new Map<number, number>();
  for (const m of text.matchAll(/^inference_request_duration_seconds_bucket\{([^}]*)\} (\S+)$/gm)) {
    if (!m[1].includes('model="breast-cancer"')) continue;
    const le = /le="([^"]+)"/.exec(m[1])![1];
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(m[2]));
  }
  return buckets;
}

/** The bucket bound under which `q`% of the requests between two scrapes finished, server side. */
function serverPercentile(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  for (const b of bounds)
    if ((after.get(b) ?? 0) - (before.get(b) ?? 0) >= (q / 100) * total) return b * 1000;
  return Infinity;
}

/**
 * CPU per admitted request of auth + rate limiting alone (process.cpuUsage, 64 in flight at a time),
 * to set against the service's CPU per request: a machine-noise-free view of the same cost.
 */
async function admissionCpuMicros(redisUrl?: string): Promise<number> {
  const redis = redisUrl
    ? new RedisConnection({ url: redisUrl, logger: pino({ level: 'silent' }) })
    : undefined;
  if (redis) await redis.waitUntilReady(5000);
  const guard = new AdmissionGuard({
    auth: ApiKeyAuth.fromList([KEY, 'other-key-1', 'other-key-2']),
    limiter: new RateLimiter({ redis }),
    defaultLimit: { rps: 1_000_000, burst: 10_000_000 },
  });
  const call = {
    requestId: 'bench',
    scope: 'infer' as const,
    headers: { authorization: `Bearer ${KEY}` },
    setHeader: () => undefined,
  };
  // 64 at a time, as the 64-connection runs would have them.
  const round = () => Promise.all(Array.from({ length: 64 }, () => guard.admit(call)));
  const n = 64 * 400;
  for (let i = 0; i < 40; i++) await round();
  const cpu = process.cpuUsage();
  for (let i = 0; i < n / 64; i++) await round();
  const used = process.cpuUsage(cpu);
  await redis?.close();
  return (used.user + used.system) / n;
}

async function main() {
  const redis = await RedisServer.start();
  const hit = body(rows[0]);
  const results: Record<string, unknown> = {};
  try {
    // 1 + 2a: in-process hits. The first request fills the cache; every later one is a memory hit.
    await withService({}, async (svc) => {
      await closedLoop(svc.url, hit, 1, 0.5);
      const before = await durationBuckets(svc.url);
      results.memoryHit64 = await closedLoop(svc.url, hit, 64, SECONDS);
      const after = await durationBuckets(svc.url);
      results.memoryHit64ServerP99Ms = serverPercentile(before, after, 99);
      results.memoryHit1 = await closedLoop(svc.url, hit, 1, SECONDS / 2);
    });
    // 1b: the same with both cores serving HTTP (WORKERS=2; each worker fills its own memory tier).
    await withService({ WORKERS: '2' }, async (svc) => {
      await closedLoop(svc.url, hit, 4, 0.5);
      results.memoryHit64Workers2 = await closedLoop(svc.url, hit, 64, SECONDS);
    });
    // 2b: Redis hits: the in-process tier is off, so every hit comes from Redis.
    await withService({ REDIS_URL: redis.url, CACHE_MEMORY_BYTES: '0' }, async (svc) => {
      await closedLoop(svc.url, hit, 1, 0.5);
      results.redisHit1 = await closedLoop(svc.url, hit, 1, SECONDS / 2);
      results.redisHit64 = await closedLoop(svc.url, hit, 64, SECONDS);
    });
    // 3: the model itself runs ("cache": false): plain vs auth + a rate limit that never rejects.
    results.admissionCpuLocalUs = await admissionCpuMicros();
    results.admissionCpuRedisUs = await admissionCpuMicros(redis.url);
    const miss = body(rows[1], { cache: false });
    const limits = { API_KEYS: KEY, RATE_LIMIT_RPS: '1000000', RATE_LIMIT_BURST: '10000000' };
    results.plain = await withService({}, (svc) => throughput(svc.url, miss));
    results.guardedLocal = await withService(limits, (svc) =>
      throughput(svc.url, miss, { authorization: `Bearer ${KEY}` }),
    );
    results.guardedRedis = await withService({ ...limits, REDIS_URL: redis.url }, (svc) =>
      throughput(svc.url, miss, { authorization: `Bearer ${KEY}` }),
    );
  } finally {
    await redis.stop();
  }

  const m64 = results.memoryHit64 as LatencyRun;
  const m1 = results.memoryHit1 as LatencyRun;
  const r1 = results.redisHit1 as LatencyRun;
  const r64 = results.redisHit64 as LatencyRun;
  const plain = results.plain as { rps: number };
  const local = results.guardedLocal as { rps: number };
  const shared = results.guardedRedis as { rps: number };
  console.log(`\nguard benchmarks (${SECONDS} s runs, breast-cancer, loopback)`);
  console.log(
    `  memory-tier hit, 64 conns: ${m64.rps.toFixed(0)} req/s, p50 ${ms(m64.p50)}, p99 ${ms(m64.p99)}  [target p99 < 2 ms] ${JSON.stringify(m64.cache)}`,
  );
  console.log(
    `  memory-tier hit, 64 conns, server-side p99 (histogram bucket bound): <= ${results.memoryHit64ServerP99Ms} ms`,
  );
  const w2 = results.memoryHit64Workers2 as LatencyRun;
  console.log(
    `  memory-tier hit, 64 conns, WORKERS=2: ${w2.rps.toFixed(0)} req/s, p50 ${ms(w2.p50)}, p99 ${ms(w2.p99)} ${JSON.stringify(w2.cache)}`,
  );
  console.log(`  memory-tier hit, 1 conn:   p50 ${ms(m1.p50)}, p99 ${ms(m1.p99)}`);
  console.log(
    `  redis-tier hit,  1 conn:   p50 ${ms(r1.p50)}, p99 ${ms(r1.p99)} ${JSON.stringify(r1.cache)}`,
  );
  console.log(
    `  redis-tier hit, 64 conns:  ${r64.rps.toFixed(0)} req/s, p50 ${ms(r64.p50)}, p99 ${ms(r64.p99)}`,
  );
  console.log(`  redis hit adds at p50 (1 conn): ${ms(r1.p50 - m1.p50)}  [target < 1 ms]`);
  console.log(`  plain, 64 conns (model runs):            ${plain.rps.toFixed(0)} req/s`);
  console.log(
    `  auth + local rate limit:                 ${local.rps.toFixed(0)} req/s  (${((1 - local.rps / plain.rps) * 100).toFixed(1)}% cost) [target < 10%]`,
  );
  console.log(
    `  auth + Redis rate limit:                 ${shared.rps.toFixed(0)} req/s  (${((1 - shared.rps / plain.rps) * 100).toFixed(1)}% cost)`,
  );
  console.log(
    `  auth + rate limit CPU per request, in process: local ${(results.admissionCpuLocalUs as number).toFixed(1)} µs, ` +
      `Redis-backed ${(results.admissionCpuRedisUs as number).toFixed(1)} µs (service CPU per request at the plain rate: ` +
      `<= ${((2 * 1e6) / plain.rps).toFixed(0)} µs on 2 cores)`,
  );
  console.log(JSON.stringify(results));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
