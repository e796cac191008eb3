/**
 * Guard benchmarks (issue 3), part of `npm run bench`:
 *   1. prediction cache hits from the in-process tier at 64 connections (target: p99 < 2 ms);
 *   2. what a Redis hit adds over an in-process hit at p50 (target: < 1 ms);
 *   3. throughput with auth + rate limiting on vs off, on the small classifier (target: < 10% cost).
 * The service runs as its own process on loopback, one configuration at a time, driven by
 * autocannon; latencies are every response's fractional milliseconds.
 *
 *   npx tsx service/bench/guards.ts [--seconds 10]
 */
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
  failures: number;
}

/**
 * autocannon with every response's latency (its `response` event gives fractional ms; the summary
 * only whole ms), after a 2 s warm-up so JIT and batch sizes settle before the clock starts.
 */
async function measure(
  url: string,
  payload: string,
  connections: number,
  seconds: number,
  headers: Record<string, string> = {},
): Promise<LatencyRun> {
  const options = {
    url: url + MODEL_URL,
    method: 'POST' as const,
    connections,
    body: payload,
    headers: { 'content-type': 'application/json', ...headers },
  };
  await autocannon({ ...options, duration: 2 });
  const latencies: number[] = [];
  let failures = 0;
  let instance: autocannon.Instance | undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon({ ...options, duration: seconds }, (err, result) =>
      err ? reject(err) : resolve(result),
    );
  });
  instance!.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
    if (status !== 200) failures++;
  });
  const result = await finished;
  return {
    n: latencies.length,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failures: failures + result.errors + result.timeouts,
  };
}

/** Cache hits the service counted for breast-cancer, by tier. */
async function hits(url: string, tier: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^prediction_cache_hits_total\{([^}]*)\} (\S+)$/gm))
    if (m[1].includes('model="breast-cancer"') && m[1].includes(`tier="${tier}"`)) sum += Number(m[2]);
  return sum;
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
    // 1 + 2a: in-process hits. The warm-up fills the cache; every measured request is a memory hit.
    await withService({}, async (svc) => {
      const before = await durationBuckets(svc.url);
      const hitsBefore = await hits(svc.url, 'memory');
      results.memoryHit64 = await measure(svc.url, hit, 64, SECONDS);
      const after = await durationBuckets(svc.url);
      results.memoryHit64ServerP99Ms = serverPercentile(before, after, 99);
      results.memoryHit64Hits = (await hits(svc.url, 'memory')) - hitsBefore;
      results.memoryHit1 = await measure(svc.url, hit, 1, SECONDS / 2);
    });
    // 1b: the same with both cores serving HTTP (WORKERS=2; each worker fills its own memory tier).
    await withService({ WORKERS: '2' }, async (svc) => {
      results.memoryHit64Workers2 = await measure(svc.url, hit, 64, SECONDS);
    });
    // 2b: Redis hits: the in-process tier is off, so every hit comes from Redis.
    await withService({ REDIS_URL: redis.url, CACHE_MEMORY_BYTES: '0' }, async (svc) => {
      const hitsBefore = await hits(svc.url, 'redis');
      results.redisHit1 = await measure(svc.url, hit, 1, SECONDS / 2);
      results.redisHit64 = await measure(svc.url, hit, 64, SECONDS);
      results.redisHits = (await hits(svc.url, 'redis')) - hitsBefore;
    });
    results.admissionCpuLocalUs = await admissionCpuMicros();
    results.admissionCpuRedisUs = await admissionCpuMicros(redis.url);
    // 3: the model itself runs ("cache": false): plain vs auth + a rate limit that never rejects.
    // Two rounds in turn, so that a neighbour's burst does not land on one configuration only.
    const miss = body(rows[1], { cache: false });
    const limits = { API_KEYS: KEY, RATE_LIMIT_RPS: '1000000', RATE_LIMIT_BURST: '10000000' };
    const auth = { authorization: `Bearer ${KEY}` };
    const rounds: Record<string, number[]> = { plain: [], guardedLocal: [], guardedRedis: [] };
    for (let round = 0; round < 2; round++) {
      rounds.plain.push((await withService({}, (svc) => measure(svc.url, miss, 64, SECONDS))).rps);
      rounds.guardedLocal.push(
        (await withService(limits, (svc) => measure(svc.url, miss, 64, SECONDS, auth))).rps,
      );
      rounds.guardedRedis.push(
        (
          await withService({ ...limits, REDIS_URL: redis.url }, (svc) =>
            measure(svc.url, miss, 64, SECONDS, auth),
          )
        ).rps,
      );
    }
    results.throughputRounds = rounds;
  } finally {
    await redis.stop();
  }

  const m64 = results.memoryHit64 as LatencyRun;
  const w2 = results.memoryHit64Workers2 as LatencyRun;
  const m1 = results.memoryHit1 as LatencyRun;
  const r1 = results.redisHit1 as LatencyRun;
  const r64 = results.redisHit64 as LatencyRun;
  const rounds = results.throughputRounds as Record<string, number[]>;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const cost = (name: string) => `${((1 - mean(rounds[name]) / mean(rounds.plain)) * 100).toFixed(1)}%`;
  const line = (r: LatencyRun) =>
    `${r.rps.toFixed(0)} req/s, p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, ${r.failures} failures`;
  console.log(`\nguard benchmarks (${SECONDS} s runs after 2 s warm-ups, breast-cancer, loopback)`);
  console.log(
    `  memory-tier hit, 64 conns:            ${line(m64)}  [target p99 < 2 ms]; ${results.memoryHit64Hits} memory hits counted`,
  );
  console.log(
    `  memory-tier hit, 64 conns, server-side p99 (histogram bucket bound): <= ${results.memoryHit64ServerP99Ms} ms`,
  );
  console.log(`  memory-tier hit, 64 conns, WORKERS=2: ${line(w2)}`);
  console.log(`  memory-tier hit, 1 conn:              ${line(m1)}`);
  console.log(`  redis-tier hit,  1 conn:              ${line(r1)}`);
  console.log(
    `  redis-tier hit, 64 conns:             ${line(r64)}; ${results.redisHits} redis hits counted`,
  );
  console.log(`  redis hit adds at p50 (1 conn): ${ms(r1.p50 - m1.p50)}  [target < 1 ms]`);
  console.log(
    `  classifier, model runs, 64 conns, req/s per round: plain ${rounds.plain.map((x) => x.toFixed(0)).join(' / ')}`,
  );
  console.log(
    `    auth + local rate limit: ${rounds.guardedLocal.map((x) => x.toFixed(0)).join(' / ')}  (${cost('guardedLocal')} cost on the means) [target < 10%]`,
  );
  console.log(
    `    auth + Redis rate limit: ${rounds.guardedRedis.map((x) => x.toFixed(0)).join(' / ')}  (${cost('guardedRedis')} cost on the means)`,
  );
  console.log(
    `  auth + rate limit CPU per request, in process: local ${(results.admissionCpuLocalUs as number).toFixed(1)} µs, ` +
      `Redis-backed ${(results.admissionCpuRedisUs as number).toFixed(1)} µs (service CPU per request at the plain rate: ` +
      `<= ${((2 * 1e6) / mean(rounds.plain)).toFixed(0)} µs on 2 cores)`,
  );
  console.log(JSON.stringify(results));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
