/**
 * Guard benchmarks, part of `npm run bench`:
 *   1. prediction cache hits from the in-process tier at 64 connections, in an open loop (targets:
 *      p99 < 2 ms at twice the highest SLA peak rate and < 5 ms at ten times it, see HIT_TARGETS),
 *      with the service's GC pauses during each run and the closed-loop saturation point beside it;
 *   2. what a Redis hit adds over an in-process hit at p50 (target: < 1 ms);
 *   3. what auth + rate limiting cost on the small classifier (target: < 10% of throughput),
 *      judged on the service's CPU per request at a fixed offered load, which sets how much a core
 *      serves; closed-loop throughput pairs are printed beside it, but on this machine they also
 *      carry the load generator's own CPU, which shares the two cores.
 * The service runs as its own process on loopback; latencies are every response's fractional
 * milliseconds. Linux only (the CPU reading comes from /proc).
 *
 *   npx tsx service/bench/guards.ts [--seconds 8] [--node-flags "--max-semi-space-size=16 …"]
 *     [--arrangement shared|split] [--hits-only]
 *
 * `--node-flags` starts the service with node flags, such as the young-generation flags the pod
 * gives it (infra/src/workload/young-generation.ts); without them node sizes the heap itself.
 * `--arrangement split` pins the service to one CPU and the load generator (this process) to the
 * other (cpu-pinning.ts); the default, `shared`, leaves both unpinned on the same cores.
 * `--hits-only` runs part 1 alone. Open-loop latencies are judged from each request's hand-off to
 * its connection; the generator's send lag (hand-off minus due time) and the p99 from the due time
 * are printed beside them (arrivals.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { listStacks, loadStackConfig } from '@ml-platform/stack-config';
import { RedisServer } from '../../test/support/redis-server';
import {
  REPO_ROOT,
  SERVICE_MAIN,
  startServiceProcess,
  waitReady,
  type ServiceProcess,
} from '../../test/support/service-process';
import { percentile } from '../../test/support/load';
import { admissionHook } from '../src/guards/admission-guard';
import { ApiKeyAuth } from '../src/guards/auth';
import { RateLimiter } from '../src/guards/rate-limit';
import { RedisConnection } from '../src/redis/connection';
import { CLASSIFIER_PATH, closedLoop, summarise, type LatencyRun } from './closed-loop';
import { describeGcPauses, gcPausesBetween, type GcPauses } from './gc-pauses';
import { openLoop } from './open-loop';
import { arg } from './args';
import { arrange, arrangementArg } from './cpu-pinning';
import { processCpuMs } from './process-cpu';

const SECONDS = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 8;
const KEY = 'bench-key';
const CONNECTIONS = 64;
/**
 * The offered loads at which the hit-latency targets are judged, from the highest peak rate any
 * stack's SLA declares for one replica: p99 < 2 ms at twice it, < 5 ms at ten times it. A closed
 * loop cannot judge a latency target at 64 connections here: its mean latency is 64 / throughput,
 * so p99 < 2 ms would need well over 32k req/s, above what bare node:http reaches on this machine.
 */
const PEAK_RPS = Math.max(...listStacks().map((s) => loadStackConfig(s).sla.peakRps));
const HIT_TARGETS = [
  { rate: 2 * PEAK_RPS, p99Ms: 2 },
  { rate: 10 * PEAK_RPS, p99Ms: 5 },
];
const HIT_RATE = 10 * PEAK_RPS;
const HIT_SWEEP = [HIT_RATE / 5, HIT_RATE / 2, HIT_RATE, HIT_RATE * 1.5, HIT_RATE * 2];
/**
 * Many short interleaved rounds for the cost of auth + rate limiting. On this VM the same
 * configuration swings by 15% between 3 s rounds; adjacent 1 s rounds drift together, so the
 * median of many paired rounds settles where a few long rounds do not.
 */
const COST_ROUNDS = 30;
const COST_SECONDS = 1;

const rows: number[][] = JSON.parse(
  readFileSync(join(REPO_ROOT, 'models', 'breast-cancer', 'testdata', 'test.json'), 'utf8'),
).inputs;
const body = (row: number[], parameters?: Record<string, unknown>) =>
  JSON.stringify({
    parameters,
    inputs: [{ name: 'input', shape: [1, row.length], datatype: 'FP32', data: row }],
  });

/** The generator's timing beside an open-loop run: its send lag, and the p99 from the due time. */
interface GeneratorTiming {
  sendLag: { p50: number; p99: number; max: number };
  fromDueP99: number;
}

type OpenLoopRun = LatencyRun & GeneratorTiming & { offered: number };

async function openLoopRun(
  url: string,
  payload: string,
  rate: number,
  seconds: number,
  headers: Record<string, string> = {},
): Promise<OpenLoopRun> {
  const r = await openLoop({
    origin: url,
    path: CLASSIFIER_PATH,
    body: payload,
    headers,
    connections: CONNECTIONS,
    rate,
    seconds,
  });
  return {
    ...summarise(r.latenciesMs, r.elapsedS, r.failures),
    offered: rate,
    sendLag: {
      p50: percentile(r.sendLagMs, 50),
      p99: percentile(r.sendLagMs, 99),
      max: Math.max(...r.sendLagMs),
    },
    fromDueP99: percentile(r.fromDueMs, 99),
  };
}

const metricsText = async (url: string) => (await fetch(`${url}/metrics`)).text();

/** An open-loop run with the service's GC pauses during it. */
async function openLoopWithGc(
  url: string,
  payload: string,
  rate: number,
  seconds: number,
): Promise<OpenLoopRun & { gc: GcPauses[] }> {
  const before = await metricsText(url);
  const run = await openLoopRun(url, payload, rate, seconds);
  return { ...run, gc: gcPausesBetween(before, await metricsText(url)) };
}

/** Cache hits the service counted for breast-cancer, by tier. */
async function hits(url: string, tier: string): Promise<number> {
  const text = await metricsText(url);
  let sum = 0;
  for (const m of text.matchAll(/^prediction_cache_hits_total\{([^}]*)\} (\S+)$/gm))
    if (m[1].includes('model="breast-cancer"') && m[1].includes(`tier="${tier}"`)) sum += Number(m[2]);
  return sum;
}

const NODE_FLAGS = arg('node-flags', '').split(' ').filter(Boolean);
const ARRANGEMENT = arrangementArg();
const HITS_ONLY = process.argv.includes('--hits-only');

async function startService(env: Record<string, string>): Promise<ServiceProcess> {
  const svc = await startServiceProcess({ LOG_LEVEL: 'info', ...env }, 60_000, [
    ...NODE_FLAGS,
    '-r',
    'tsx/cjs',
    SERVICE_MAIN,
  ]);
  await waitReady(svc, 60_000);
  return svc;
}

async function withService<T>(
  env: Record<string, string>,
  run: (svc: ServiceProcess) => Promise<T>,
): Promise<T> {
  const svc = await startService(env);
  try {
    return await run(svc);
  } finally {
    await svc.stop();
  }
}

/**
 * CPU per admitted request of auth + rate limiting alone (process.cpuUsage, 64 in flight at a time),
 * the cost with everything else taken away.
 */
async function admissionCpuMicros(redisUrl?: string): Promise<number> {
  const redis = redisUrl
    ? new RedisConnection({ url: redisUrl, logger: pino({ level: 'silent' }) })
    : undefined;
  if (redis) await redis.waitUntilReady(5000);
  const admit = admissionHook({
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
  const round = () => Promise.all(Array.from({ length: CONNECTIONS }, () => admit(call)));
  const n = CONNECTIONS * 400;
  for (let i = 0; i < 40; i++) await round();
  const cpu = process.cpuUsage();
  for (let i = 0; i < n / CONNECTIONS; i++) await round();
  const used = process.cpuUsage(cpu);
  await redis?.close();
  return (used.user + used.system) / n;
}

const median = (xs: number[]) => percentile(xs, 50);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

interface CostRounds {
  /** Closed-loop req/s per round, per configuration. */
  rps: Record<string, number[]>;
  /** Service CPU µs per request under the same open-loop rate, per round, per configuration. */
  cpuUs: Record<string, number[]>;
  cpuRate: number;
}

/**
 * Plain vs auth + rate limit (one that never rejects), with the model running on every request
 * ("cache": false). All three services stay up and take turns, round after round, so a neighbour's
 * burst or the machine's slow drift lands on every configuration alike; each guarded round is set
 * against the plain round next to it.
 */
async function costRounds(redisUrl: string): Promise<CostRounds> {
  const miss = body(rows[1], { cache: false });
  const limits = { API_KEYS: KEY, RATE_LIMIT_RPS: '1000000', RATE_LIMIT_BURST: '10000000' };
  const auth = { authorization: `Bearer ${KEY}` };
  // Every configuration gets the same request bytes, key included (the plain one ignores it), so
  // the difference is the service's work, not the client's.
  const configs: Record<string, { env: Record<string, string>; headers: Record<string, string> }> = {
    plain: { env: {}, headers: auth },
    guardedLocal: { env: limits, headers: auth },
    guardedRedis: { env: { ...limits, REDIS_URL: redisUrl }, headers: auth },
  };
  const services: Record<string, ServiceProcess> = {};
  try {
    for (const [name, { env, headers }] of Object.entries(configs)) {
      services[name] = await startService(env);
      await closedLoop(services[name].url, miss, CONNECTIONS, 2, headers);
    }
    const names = Object.keys(configs);
    // Each round rotates who goes first, so no configuration always follows the same neighbour.
    const inRounds = async (measure: (name: string) => Promise<number>) => {
      const out: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
      for (let round = 0; round < COST_ROUNDS; round++)
        for (let i = 0; i < names.length; i++) {
          const name = names[(round + i) % names.length];
          out[name][round] = await measure(name);
        }
      return out;
    };
    const rps = await inRounds(
      async (name) =>
        (await closedLoop(services[name].url, miss, CONNECTIONS, COST_SECONDS, configs[name].headers)).rps,
    );
    // Half the plain saturation rate: busy, with batches forming, but below the knee for all three.
    const cpuRate = Math.round(median(rps.plain) / 2 / 100) * 100;
    const cpuUs = await inRounds(async (name) => {
      const pid = services[name].child.pid!;
      const before = processCpuMs(pid);
      const run = await openLoopRun(services[name].url, miss, cpuRate, COST_SECONDS, configs[name].headers);
      return ((processCpuMs(pid) - before) * 1000) / run.requests;
    });
    return { rps, cpuUs, cpuRate };
  } finally {
    await Promise.all(Object.values(services).map((s) => s.stop()));
  }
}

/** Each guarded round's cost against the plain round next to it. */
function pairedCosts(rounds: Record<string, number[]>, name: string, higherIsBetter: boolean): number[] {
  return rounds[name].map((x, i) => (higherIsBetter ? 1 - x / rounds.plain[i] : x / rounds.plain[i] - 1));
}

async function main() {
  const redis = await RedisServer.start();
  const hit = body(rows[0]);
  const results: Record<string, unknown> = { hitRate: HIT_RATE };
  try {
    // 1: in-process hits. The warm-up fills the cache; every measured request is a memory hit.
    await withService({}, async (svc) => {
      results.arrangement = arrange(ARRANGEMENT, [svc.child.pid!]);
      await closedLoop(svc.url, hit, CONNECTIONS, 2);
      const hitsBefore = await hits(svc.url, 'memory');
      const sweep = [];
      for (const rate of HIT_SWEEP) sweep.push(await openLoopWithGc(svc.url, hit, rate, SECONDS));
      results.memoryHitSweep = sweep;
      results.memoryHitSaturation = await closedLoop(svc.url, hit, CONNECTIONS, SECONDS);
      results.memoryHits = (await hits(svc.url, 'memory')) - hitsBefore;
      results.memoryHit1 = await closedLoop(svc.url, hit, 1, SECONDS / 2);
      // Later parts run unpinned, as they always have.
      arrange('shared', []);
    });
    if (HITS_ONLY) return report(results);
    // 2: Redis hits: the in-process tier is off, so every hit comes from Redis.
    await withService({ REDIS_URL: redis.url, CACHE_MEMORY_BYTES: '0' }, async (svc) => {
      await closedLoop(svc.url, hit, 1, 2);
      const hitsBefore = await hits(svc.url, 'redis');
      results.redisHit1 = await closedLoop(svc.url, hit, 1, SECONDS / 2);
      results.redisHitAtRate = await openLoopRun(svc.url, hit, HIT_RATE, SECONDS);
      results.redisHits = (await hits(svc.url, 'redis')) - hitsBefore;
    });
    // 3: auth + rate limiting.
    results.admissionCpuLocalUs = await admissionCpuMicros();
    results.admissionCpuRedisUs = await admissionCpuMicros(redis.url);
    results.cost = await costRounds(redis.url);
  } finally {
    await redis.stop();
  }
  report(results);
}

function report(results: Record<string, unknown>) {
  const ms = (x: number) => `${x.toFixed(3)} ms`;
  const line = (r: LatencyRun) =>
    `${r.rps.toFixed(0)} req/s, p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, ${r.failures} failures`;
  const sweep = results.memoryHitSweep as (OpenLoopRun & { gc: GcPauses[] })[];
  const m1 = results.memoryHit1 as LatencyRun;
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT MET');

  console.log(`\nguard benchmarks (breast-cancer, loopback, ${SECONDS} s runs after warm-ups)`);
  console.log(`  memory-tier hits: ${results.arrangement as string}`);
  console.log(`  memory-tier hits, open loop over ${CONNECTIONS} connections, latency from hand-off:`);
  for (const r of sweep) {
    console.log(`    offered ${String(r.offered).padStart(6)} req/s: ${line(r)}`);
    console.log(
      `      generator send lag p50 ${ms(r.sendLag.p50)}, p99 ${ms(r.sendLag.p99)}, max ${ms(r.sendLag.max)}; ` +
        `p99 from the due time ${ms(r.fromDueP99)}`,
    );
    console.log(`      service GC during the run: ${describeGcPauses(r.gc)}`);
  }
  for (const target of HIT_TARGETS) {
    const r = sweep.find((s) => s.offered === target.rate)!;
    console.log(
      `    at ${target.rate} req/s (${target.rate / PEAK_RPS} x the highest SLA peakRps): p99 ${ms(r.p99)}  ` +
        `[target < ${target.p99Ms} ms: ${verdict(r.p99 < target.p99Ms && r.failures === 0)}]`,
    );
  }
  console.log(
    `  memory-tier hits, closed loop, ${CONNECTIONS} conns (saturation): ${line(results.memoryHitSaturation as LatencyRun)}; ${results.memoryHits} memory hits counted`,
  );
  console.log(`  memory-tier hit, 1 conn:  ${line(m1)}`);
  if (HITS_ONLY) return console.log(JSON.stringify(results));
  const r1 = results.redisHit1 as LatencyRun;
  const cost = results.cost as CostRounds;
  console.log(`  redis-tier hit, 1 conn:   ${line(r1)}`);
  console.log(
    `  redis-tier hits, open loop at ${HIT_RATE} req/s: ${line(results.redisHitAtRate as LatencyRun)}; ${results.redisHits} redis hits counted`,
  );
  console.log(
    `  redis hit adds at p50 (1 conn): ${ms(r1.p50 - m1.p50)}  [target < 1 ms: ${verdict(r1.p50 - m1.p50 < 1)}]`,
  );
  console.log(
    `  auth + rate limit, model running, ${COST_ROUNDS} interleaved rounds of ${COST_SECONDS} s per configuration:`,
  );
  for (const name of ['plain', 'guardedLocal', 'guardedRedis'])
    console.log(
      `    ${name.padEnd(12)} closed loop: median ${median(cost.rps[name]).toFixed(0)} req/s; ` +
        `CPU at ${cost.cpuRate} req/s: median ${median(cost.cpuUs[name]).toFixed(1)} µs/request`,
    );
  const spread = (xs: number[]) =>
    `median ${pct(median(xs))} (middle half of the rounds ${pct(percentile(xs, 25))} to ${pct(percentile(xs, 75))})`;
  for (const name of ['guardedLocal', 'guardedRedis']) {
    const cpu = pairedCosts(cost.cpuUs, name, false);
    console.log(
      `    ${name}: service CPU per request ${spread(cpu)}  [target < 10%: ${verdict(median(cpu) < 0.1)}]`,
    );
    console.log(
      `      closed-loop throughput, client on the same cores: ${spread(pairedCosts(cost.rps, name, true))}`,
    );
  }
  console.log(
    `  auth + rate limit alone, CPU per request in process: local ${(results.admissionCpuLocalUs as number).toFixed(1)} µs, ` +
      `Redis-backed ${(results.admissionCpuRedisUs as number).toFixed(1)} µs`,
  );
  console.log(JSON.stringify(results));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
