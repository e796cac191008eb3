/**
 * What V8's young-generation size buys and costs the service: one service process per
 * `--max-semi-space-size` (WORKERS=1, production guards, this checkout), all started at once and
 * taking turns in rotating order, so that the shared machine's drift hits every size alike. Each
 * round drives two loads at every size:
 *   - classifier: breast-cancer, one row, cache off, open loop at `--rate` req/s;
 *   - heavy: heavy-mlp, `--rows` rows per JSON request, closed loop on `--connections` connections.
 * Per load it reads minor GCs (scavenges) and their pause time per 10k requests (the service's own
 * GC histogram), CPU per request (every thread, and the main thread alone), the p99, and after the
 * rounds each process's peak RSS (VmHWM) and the largest new space V8 grew to.
 *
 *   npx tsx service/bench/semi-space.ts [--sizes 0,16,16f,64f] [--rounds 6] [--seconds 4] [--warmup 0]
 *                                       [--rate 3000] [--rows 32] [--connections 16]
 *
 * Sizes in MB: `0` runs node without a flag, V8's own choice, which follows the memory limit;
 * `16` passes `--max-semi-space-size=16`, only a ceiling: V8 grows the new space towards it as
 * objects survive and shrinks it again when allocation slows, as between this bench's turns; `16f`
 * also passes `--min-semi-space-size=16`, so that the new space keeps that size. `--warmup <s>`
 * drives each load that long, uncounted, right before it is measured: steady traffic, in which V8
 * has had time to grow the new space, rather than a burst after the other sizes' turns.
 */
import { readFileSync } from 'node:fs';
import { percentile } from '../../test/support/load';
import { REPO_ROOT, type ServiceProcess } from '../../test/support/service-process';
import { arg, numberArg } from './args';
import { startCheckoutService } from './bench-processes';
import { closedLoop } from './closed-loop';
import { gcPausesBetween } from './gc-pauses';
import { openLoop } from './open-loop';
import { mainThreadCpuMs, processCpuMs } from './process-cpu';
import { classifierBody, heavyBody } from './requests';
import { median } from './rounds';
import { runMain } from './run-main';
import { loadAverage } from './temp-service';

const SIZES = arg('sizes', '0,16,16f,64f').split(',');
const ROUNDS = numberArg('rounds', 6);
const SECONDS = numberArg('seconds', 4);
const RATE = numberArg('rate', 3000);
const ROWS = numberArg('rows', 32);
const CONNECTIONS = numberArg('connections', 16);
const WARMUP = numberArg('warmup', 0);
const CLASSIFIER_PATH = '/v2/models/breast-cancer/versions/1/infer';
const HEAVY_PATH = '/v2/models/heavy-mlp/versions/1/infer';
const heavy = heavyBody(ROWS);

const LOADS = ['classifier', 'heavy'] as const;
type Load = (typeof LOADS)[number];

interface Run {
  minorPer10k: number;
  minorMsPer10k: number;
  majorPer10k: number;
  /** Every kind's pauses: minor, major, incremental marking steps, weak callbacks. */
  allGcMsPer10k: number;
  cpuUsPerRequest: number;
  mainUsPerRequest: number;
  p99Ms: number;
  requestsPerSecond: number;
  failures: number;
}

const metricsText = async (svc: ServiceProcess) => (await fetch(`${svc.url}/metrics`)).text();

/** prom-client's `nodejs_heap_space_size_total_bytes{space="new"}`: what V8 holds for the new space now. */
function newSpaceBytes(metrics: string): number {
  const m = /^nodejs_heap_space_size_total_bytes\{space="new"\} (\S+)$/m.exec(metrics);
  return m ? Number(m[1]) : NaN;
}

/** A /proc/<pid>/status field in kB, as MiB. */
function statusMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

async function drive(
  svc: ServiceProcess,
  load: Load,
  seconds: number,
): Promise<{ requests: number; p99: number; rps: number; failures: number }> {
  if (load === 'classifier') {
    const r = await openLoop({
      origin: svc.url,
      path: CLASSIFIER_PATH,
      body: classifierBody,
      connections: 64,
      rate: RATE,
      seconds,
    });
    const requests = r.latenciesMs.length;
    return { requests, p99: percentile(r.latenciesMs, 99), rps: requests / r.elapsedS, failures: r.failures };
  }
  const r = await closedLoop(svc.url, heavy, CONNECTIONS, seconds, {}, HEAVY_PATH);
  return { requests: r.requests, p99: r.p99, rps: r.rps, failures: r.failures };
}

async function run(svc: ServiceProcess, load: Load, largestNew: { bytes: number }): Promise<Run> {
  const pid = svc.child.pid!;
  if (WARMUP > 0) await drive(svc, load, WARMUP);
  const before = await metricsText(svc);
  const cpu = processCpuMs(pid);
  const main = mainThreadCpuMs(pid);
  const r = await drive(svc, load, SECONDS);
  const cpuMs = processCpuMs(pid) - cpu;
  const mainMs = mainThreadCpuMs(pid) - main;
  const after = await metricsText(svc);
  largestNew.bytes = Math.max(largestNew.bytes, newSpaceBytes(after));
  const gcs = gcPausesBetween(before, after);
  const minor = gcs.find((p) => p.kind === 'minor');
  const per10k = 10_000 / r.requests;
  return {
    minorPer10k: (minor?.count ?? 0) * per10k,
    minorMsPer10k: (minor?.totalMs ?? 0) * per10k,
    majorPer10k: (gcs.find((p) => p.kind === 'major')?.count ?? 0) * per10k,
    allGcMsPer10k: gcs.reduce((t, p) => t + p.totalMs, 0) * per10k,
    cpuUsPerRequest: (cpuMs * 1000) / r.requests,
    mainUsPerRequest: (mainMs * 1000) / r.requests,
    p99Ms: r.p99,
    requestsPerSecond: r.rps,
    failures: r.failures,
  };
}

function semiSpaceFlags(size: string): string[] {
  const m = /^(\d+)(f?)$/.exec(size);
  if (!m) throw new Error(`--sizes: ${JSON.stringify(size)} is not <MB> or <MB>f`);
  if (m[1] === '0') return [];
  return [`--max-semi-space-size=${m[1]}`, ...(m[2] ? [`--min-semi-space-size=${m[1]}`] : [])];
}
const label = (size: string) =>
  size === '0' ? 'default' : size.endsWith('f') ? `${size.slice(0, -1)} MB fixed` : `${size} MB max`;

async function main(): Promise<void> {
  console.log(
    `# semi-space sizes ${SIZES.map(label).join(', ')}: ${ROUNDS} rotating rounds x ${SECONDS} s per load; ` +
      `classifier open loop ${RATE} req/s, heavy-mlp ${ROWS} rows JSON on ${CONNECTIONS} connections; ` +
      `load average ${loadAverage()}`,
  );
  const services: ServiceProcess[] = [];
  try {
    for (const size of SIZES) services.push(await startCheckoutService(REPO_ROOT, {}, semiSpaceFlags(size)));
    const largestNew = SIZES.map(() => ({ bytes: 0 }));
    const runs = new Map<string, Run[]>();
    for (let i = 0; i < SIZES.length; i++)
      for (const load of LOADS) await run(services[i], load, largestNew[i]); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate who goes first, so that no size always follows the same neighbour.
      const order = SIZES.map((_, i) => (i + round) % SIZES.length);
      for (const i of order) {
        for (const load of LOADS) {
          const r = await run(services[i], load, largestNew[i]);
          const key = `${SIZES[i]} ${load}`;
          runs.set(key, [...(runs.get(key) ?? []), r]);
          console.log(
            `round ${round + 1} ${label(SIZES[i]).padEnd(11)} ${load.padEnd(10)} ` +
              `minor GCs/10k ${r.minorPer10k.toFixed(1).padStart(5)} (${r.minorMsPer10k.toFixed(1)} ms) ` +
              `major ${r.majorPer10k.toFixed(1)}, all GC ${r.allGcMsPer10k.toFixed(1)} ms/10k ` +
              `CPU ${r.cpuUsPerRequest.toFixed(1)} us/req (main ${r.mainUsPerRequest.toFixed(1)}) ` +
              `p99 ${r.p99Ms.toFixed(2)} ms ${r.requestsPerSecond.toFixed(0)} req/s ${r.failures} failed; ` +
              `RSS ${statusMiB(services[i].child.pid!, 'VmRSS').toFixed(0)} MiB; load ${loadAverage()}`,
          );
        }
      }
    }
    console.log(
      '\n| semi-space | load | minor GCs per 10k requests | minor pause ms per 10k | major GCs per 10k | all GC pause ms per 10k | CPU us/request (rounds) | main thread us/request | p99 ms | req/s |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const [key, rs] of runs) {
      const [size, load] = key.split(' ');
      const m = (f: (r: Run) => number, digits = 1) => median(rs.map(f)).toFixed(digits);
      console.log(
        `| ${label(size)} | ${load} | ${m((r) => r.minorPer10k)} | ${m((r) => r.minorMsPer10k)} | ` +
          `${m((r) => r.majorPer10k)} | ${m((r) => r.allGcMsPer10k)} | ` +
          `${m((r) => r.cpuUsPerRequest)} (${rs.map((r) => r.cpuUsPerRequest.toFixed(1)).join(' ')}) | ` +
          `${m((r) => r.mainUsPerRequest)} | ${m((r) => r.p99Ms, 2)} | ${m((r) => r.requestsPerSecond, 0)} |`,
      );
    }
    console.log(
      '\n| semi-space | peak RSS (VmHWM) | RSS now | largest new space |\n| --- | --- | --- | --- |',
    );
    SIZES.forEach((size, i) => {
      const pid = services[i].child.pid!;
      console.log(
        `| ${label(size)} | ${statusMiB(pid, 'VmHWM').toFixed(0)} MiB | ${statusMiB(pid, 'VmRSS').toFixed(0)} MiB | ` +
          `${(largestNew[i].bytes / 2 ** 20).toFixed(0)} MiB |`,
      );
    });
  } finally {
    await Promise.all(services.map((s) => s.stop()));
  }
  console.log(`load average after: ${loadAverage()}`);
}

runMain(main);
