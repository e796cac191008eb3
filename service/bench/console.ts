/**
 * Console benchmark (issue 16): what an open console costs the service.
 *   1. In process, with a full 15-minute ring for 6 model versions: the CPU of one sample (scrape
 *      /metrics, parse, derive) and of answering GET /v2/console/status, for the page's first load
 *      (the whole window) and for its 2-second polls (`since`), with the bytes of each answer.
 *   2. Three identical services: "watched" is polled every 2 s like the page (so it samples once a
 *      second), "plain" never is, and "control" is a second never-polled copy that shows what two
 *      identical services differ by on this machine. They take turns in interleaved rounds,
 *      rotating who goes first, and each round is set against the plain round next to it: the
 *      classifier's closed-loop req/s (breast-cancer, model running on every request, 64
 *      connections), then the service's CPU per request at a fixed open-loop rate (half the plain
 *      saturation), which a busy neighbour on the shared cores moves less.
 *   3. Idle CPU of the three, over 20 s.
 * Loopback only; Linux (the CPU reading comes from /proc).
 *
 *   npm run bench:console          (npx tsx service/bench/console.ts [--rounds 20] [--seconds 2])
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StatusCollector } from '../src/console/status-collector';
import { ServiceMetrics, createRegistry } from '../src/observability/metrics';
import { percentile } from '../../test/support/load';
import {
  REPO_ROOT,
  startServiceProcess,
  waitReady,
  type ServiceProcess,
} from '../../test/support/service-process';
import { CLASSIFIER_PATH, closedLoop } from './closed-loop';
import { openLoop } from './open-loop';
import { processCpuMs } from './process-cpu';

const arg = (name: string, fallback: number) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback;
const ROUNDS = arg('--rounds', 20);
const SECONDS = arg('--seconds', 2);
const IDLE_SECONDS = 20;
const CONNECTIONS = 64;
const POLL_MS = 2000;

const median = (xs: number[]) => percentile(xs, 50);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const spread = (xs: number[]) =>
  `median ${pct(median(xs))}, middle half of the rounds ${pct(percentile(xs, 25))} to ${pct(percentile(xs, 75))}`;

/** 1: the collector's own work, on a registry shaped like a busy service's. */
async function inProcess() {
  // With Node's default metrics, as the service's registry has them.
  const registry = createRegistry();
  const metrics = new ServiceMetrics(registry);
  const versions = ['a', 'b', 'c'].flatMap((model) => ['1', '2'].map((version) => ({ model, version })));
  const engine = {
    index: () =>
      versions.map((v) => ({ name: v.model, version: v.version, state: 'READY' as const, reason: '' })),
    modelConfig: (): never => {
      throw new Error('no traffic policy in this benchmark');
    },
    servingVersion: () => '1',
  };
  let samples = 0;
  const collector = new StatusCollector({
    metricsText: () => {
      samples++;
      for (const v of versions) {
        metrics.requests.inc({ ...v, status: '200' }, 100);
        for (let i = 0; i < 20; i++) metrics.requestDuration.observe(v, Math.random() / 50);
        metrics.batchSize.observe(v, 4);
      }
      return registry.metrics();
    },
    engine,
    // A full 15-minute ring (900 intervals), filled at 1 ms a sample instead of 1 s.
    intervalMs: 1,
    windowSeconds: 0.9,
  });
  await collector.status();
  const cpu = process.cpuUsage();
  const started = performance.now();
  while (samples < 1200) await new Promise((r) => setTimeout(r, 20));
  const used = process.cpuUsage(cpu);
  const sampleMs = (used.user + used.system) / 1000 / samples;
  const fillMs = performance.now() - started;

  const time = async (sinceMs: number | undefined, n: number) => {
    let bytes = 0;
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) bytes = JSON.stringify(await collector.status(sinceMs)).length;
    const t = process.cpuUsage(t0);
    return { ms: (t.user + t.system) / 1000 / n, bytes };
  };
  const full = await time(undefined, 20);
  // A poll 2 s after the last one brings two new points (samples are a second apart).
  const poll = await time((await collector.status()).series.t.at(-3)!, 200);
  collector.stop();
  return { sampleMs, samples, fillMs, full, poll, points: (await collector.status()).series.t.length };
}

const rows: number[][] = JSON.parse(
  readFileSync(join(REPO_ROOT, 'models', 'breast-cancer', 'testdata', 'test.json'), 'utf8'),
).inputs;
const miss = JSON.stringify({
  parameters: { cache: false },
  inputs: [{ name: 'input', shape: [1, rows[1].length], datatype: 'FP32', data: rows[1] }],
});

/** Polls the status like the page does: the whole window first, then what is newer. */
function poller(url: string) {
  let since: number | undefined;
  let bytes = 0;
  let polls = 0;
  const poll = async () => {
    const res = await fetch(`${url}/v2/console/status${since === undefined ? '' : `?since=${since}`}`);
    const text = await res.text();
    const t = (JSON.parse(text) as { series: { t: number[] } }).series.t;
    since = t.at(-1) ?? since;
    bytes += text.length;
    polls++;
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    start() {
      void poll();
      timer = setInterval(() => void poll(), POLL_MS);
    },
    stop: () => clearInterval(timer),
    stats: () => ({ polls, bytes }),
  };
}

async function main() {
  const local = await inProcess();
  const names = ['plain', 'watched', 'control'];
  const services: Record<string, ServiceProcess> = {};
  const rps: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const cpuUs: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  let idle: Record<string, number> = {};
  let cpuRate = 0;
  let watching: ReturnType<typeof poller> | undefined;
  try {
    for (const name of names) {
      services[name] = await startServiceProcess({ LOG_LEVEL: 'info' }, 60_000);
      await waitReady(services[name], 60_000);
      await closedLoop(services[name].url, miss, CONNECTIONS, 2);
    }
    watching = poller(services.watched.url);
    watching.start(); // from here on the watched service samples once a second, as with the page open
    await new Promise((r) => setTimeout(r, 3000));

    const cpu0 = Object.fromEntries(names.map((n) => [n, processCpuMs(services[n].child.pid!)]));
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    idle = Object.fromEntries(
      names.map((n) => [n, (processCpuMs(services[n].child.pid!) - cpu0[n]) / IDLE_SECONDS]),
    );

    const inRounds = async (record: Record<string, number[]>, measure: (name: string) => Promise<number>) => {
      for (let round = 0; round < ROUNDS; round++)
        for (let i = 0; i < names.length; i++) {
          const name = names[(round + i) % names.length];
          record[name][round] = await measure(name);
        }
    };
    await inRounds(
      rps,
      async (name) => (await closedLoop(services[name].url, miss, CONNECTIONS, SECONDS)).rps,
    );
    cpuRate = Math.round(median(rps.plain) / 2 / 50) * 50;
    await inRounds(cpuUs, async (name) => {
      const pid = services[name].child.pid!;
      const before = processCpuMs(pid);
      const run = await openLoop({
        origin: services[name].url,
        path: CLASSIFIER_PATH,
        body: miss,
        connections: CONNECTIONS,
        rate: cpuRate,
        seconds: SECONDS,
      });
      return ((processCpuMs(pid) - before) * 1000) / run.completed;
    });
  } finally {
    watching?.stop();
    await Promise.all(Object.values(services).map((s) => s.stop()));
  }
  const paired = (record: Record<string, number[]>, name: string) =>
    record[name].map((x, i) => x / record.plain[i] - 1);
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;

  console.log('\nconsole benchmark (loopback)');
  console.log(
    `  in process, 6 versions: one sample ${local.sampleMs.toFixed(3)} ms CPU (${local.samples} samples in ${(local.fillMs / 1000).toFixed(1)} s)`,
  );
  console.log(
    `  status with the whole window (${local.points} points per series): ${local.full.ms.toFixed(2)} ms CPU, ${kb(local.full.bytes)}`,
  );
  console.log(`  status for a 2 s poll: ${local.poll.ms.toFixed(3)} ms CPU, ${kb(local.poll.bytes)}`);
  console.log(
    `  idle service CPU over ${IDLE_SECONDS} s, ms per second: plain ${idle.plain.toFixed(2)}, watched ${idle.watched.toFixed(2)}, control ${idle.control.toFixed(2)}`,
  );
  console.log(
    `  classifier closed loop, ${CONNECTIONS} connections, model on every request, ${ROUNDS} interleaved rounds of ${SECONDS} s:`,
  );
  for (const name of names)
    console.log(
      `    ${name.padEnd(8)} median ${median(rps[name]).toFixed(0)} req/s; CPU at ${cpuRate} req/s: median ${median(cpuUs[name]).toFixed(0)} µs/request`,
    );
  console.log(`    req/s, watched vs plain, paired by round: ${spread(paired(rps, 'watched'))}`);
  console.log(`    req/s, control vs plain (the noise):      ${spread(paired(rps, 'control'))}`);
  console.log(`    CPU/request, watched vs plain:            ${spread(paired(cpuUs, 'watched'))}`);
  console.log(`    CPU/request, control vs plain:            ${spread(paired(cpuUs, 'control'))}`);
  const polls = watching?.stats();
  if (polls) console.log(`    the page's polls: ${polls.polls}, ${kb(polls.bytes)} in all`);
}

void main();
