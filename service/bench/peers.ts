/**
 * The service against what its users would otherwise run, in interleaved rounds on this machine:
 * a FastAPI + onnxruntime peer (`async def`, 2 uvicorn workers, orjson, one intra-op thread, the
 * same ONNX files; service/bench/peer/) and the bare node:http ceiling (ceiling-server.ts), all
 * fed the same request bytes over loopback. The peer must answer as the service does before
 * anything is timed. Prints every round, medians and ratios; for heavy-mlp also the batch the
 * service formed and raw onnxruntime's rows/s at that batch.
 *
 *   npm run bench:peers -- [--seconds 5] [--rounds 3] [--workers 1]
 *
 * The first run creates the peer's venv (.venv-peer/, pinned by service/bench/peer/requirements.txt).
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import path from 'node:path';
import { startBenchServer, type BenchServer } from './bench-server';
import { closedLoop, type LatencyRun } from './closed-loop';
import { outputDifferences } from './peer-equality';
import { startPeer, type Peer } from './peer-process';
import { measureRawThroughput } from './raw-throughput';
import { batchTotals, classifierBody, heavyBody } from './requests';
import { median } from './rounds';
import {
  REPO_ROOT,
  startServiceProcess,
  waitReady,
  type ServiceProcess,
} from '../../test/support/service-process';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SECONDS = Number(arg('seconds', '5'));
const ROUNDS = Number(arg('rounds', '3'));
const WORKERS = arg('workers', '1');
const MODELS = path.join(REPO_ROOT, 'models');

interface Scenario {
  name: string;
  path: string;
  body: string;
  connections: number;
  rows: number;
  /** heavy-mlp: report the batch the service formed and raw onnxruntime at it. */
  batched?: string;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'classifier (breast-cancer v1), 1 row, 64 connections, cache off',
    path: '/v2/models/breast-cancer/versions/1/infer',
    body: classifierBody,
    connections: 64,
    rows: 1,
  },
  {
    name: 'heavy-mlp, 1 row, 64 connections',
    path: '/v2/models/heavy-mlp/versions/1/infer',
    body: heavyBody(1),
    connections: 64,
    rows: 1,
    batched: 'heavy-mlp',
  },
  {
    name: 'heavy-mlp, 32 rows per request, 16 connections',
    path: '/v2/models/heavy-mlp/versions/1/infer',
    body: heavyBody(32),
    connections: 16,
    rows: 32,
    batched: 'heavy-mlp',
  },
];

type Target = 'service' | 'peer' | 'node:http';
const TARGETS: Target[] = ['service', 'peer', 'node:http'];

interface Sample {
  run: LatencyRun;
  /** The service's mean batch over the run (heavy-mlp). */
  batch?: number;
}

function machine(): string {
  const lscpu = execFileSync('lscpu', { encoding: 'utf8' });
  const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(lscpu)?.[1] ?? '?';
  return `${field('Model name')}, ${field('CPU\\(s\\)')} CPU(s), ${field('Thread\\(s\\) per core')} thread(s) per core`;
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function post(url: string, body: string): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The peer must compute what the service computes, scenario by scenario, before any timing. */
async function checkEquality(service: string, peer: string): Promise<void> {
  for (const s of SCENARIOS) {
    const differences = outputDifferences(
      await post(service + s.path, s.body),
      await post(peer + s.path, s.body),
    );
    if (differences.length > 0) {
      throw new Error(`the peer answers '${s.name}' differently:\n  ${differences.join('\n  ')}`);
    }
  }
  console.log(`equality: the peer returns the service's outputs for all ${SCENARIOS.length} requests\n`);
}

async function main() {
  console.log(`# peers: ${ROUNDS} interleaved rounds, ${SECONDS} s per run, loopback`);
  console.log(`machine: ${machine()}; node ${process.version}; load average at start ${load()}\n`);
  let svc: ServiceProcess | undefined;
  let peer: Peer | undefined;
  let ceiling: BenchServer | undefined;
  try {
    svc = await startServiceProcess({ MODEL_REPOSITORY: MODELS, WORKERS });
    await waitReady(svc, 120_000);
    peer = await startPeer({
      models: MODELS,
      serve: ['breast-cancer/1', 'heavy-mlp/1'],
      log: (line) => console.log(`peer: ${line}`),
    });
    ceiling = await startBenchServer('ceiling-server.ts', ['http']);
    await checkEquality(svc.url, peer.url);
    const urls: Record<Target, string> = { service: svc.url, peer: peer.url, 'node:http': ceiling.url };

    // Every server answers each scenario for a second before the rounds: JIT, pools, both workers.
    for (const s of SCENARIOS) {
      for (const t of TARGETS) await closedLoop(urls[t], s.body, s.connections, 1, {}, s.path);
    }

    const samples = new Map<string, Sample[]>();
    const raw = new Map<string, number[]>();
    const key = (s: Scenario, t: Target) => `${s.name}|${t}`;
    for (let r = 0; r < ROUNDS; r++) {
      console.log(`## round ${r + 1} (load average ${load()})`);
      for (const s of SCENARIOS) {
        // Rotate who goes first, so that no server always runs on a machine warmed by another.
        const order = TARGETS.map((_, i) => TARGETS[(i + r) % TARGETS.length]);
        for (const t of order) {
          const before = s.batched && t === 'service' ? await batchTotals(svc.url, s.batched) : undefined;
          const run = await closedLoop(urls[t], s.body, s.connections, SECONDS, {}, s.path);
          let batch: number | undefined;
          if (before) {
            const after = await batchTotals(svc.url, s.batched!);
            batch = (after.sum - before.sum) / (after.count - before.count);
          }
          const list = samples.get(key(s, t)) ?? [];
          list.push({ run, batch });
          samples.set(key(s, t), list);
          console.log(
            `${s.name} | ${t.padEnd(9)} ${run.rps.toFixed(0).padStart(6)} req/s ${(run.rps * s.rows).toFixed(0).padStart(6)} rows/s` +
              `  p50 ${run.p50.toFixed(1)} ms  p99 ${run.p99.toFixed(1)} ms${batch === undefined ? '' : `  mean batch ${batch.toFixed(1)}`}` +
              `  (${run.failures} not 200)`,
          );
        }
        if (s.rows > 1) {
          // Raw onnxruntime at the batch the service just formed: the ceiling the target is judged by.
          const batch = Math.max(1, Math.round(samples.get(key(s, 'service'))!.at(-1)!.batch!));
          const m = await measureRawThroughput({
            modelDir: path.join(MODELS, 'heavy-mlp'),
            batchSize: batch,
            durationMs: 2000,
          });
          raw.set(s.name, [...(raw.get(s.name) ?? []), m.rowsPerSecond]);
          console.log(`${s.name} | raw onnxruntime at batch ${batch}: ${m.rowsPerSecond.toFixed(0)} rows/s`);
        }
      }
      console.log('');
    }

    console.log(`## medians (load average at the end ${load()})`);
    for (const s of SCENARIOS) {
      const med = (t: Target) => {
        const list = samples.get(key(s, t))!;
        return {
          rps: median(list.map((x) => x.run.rps)),
          p99: median(list.map((x) => x.run.p99)),
          batch: list[0].batch === undefined ? undefined : median(list.map((x) => x.batch!)),
          failures: list.reduce((n, x) => n + x.run.failures, 0),
        };
      };
      const [service, p, c] = TARGETS.map(med);
      console.log(s.name);
      for (const [t, m] of [
        ['service', service],
        ['peer', p],
        ['node:http', c],
      ] as const) {
        console.log(
          `  ${t.padEnd(9)} ${m.rps.toFixed(0).padStart(6)} req/s ${(m.rps * s.rows).toFixed(0).padStart(6)} rows/s  p99 ${m.p99.toFixed(1)} ms` +
            `${m.batch === undefined ? '' : `  mean batch ${m.batch.toFixed(1)}`}  (${m.failures} not 200)`,
        );
      }
      console.log(
        `  service / peer        ${(service.rps / p.rps).toFixed(2)}x  (p99 ${service.p99.toFixed(1)} vs ${p.p99.toFixed(1)} ms)`,
      );
      console.log(`  service / node:http   ${(service.rps / c.rps).toFixed(2)}`);
      const ceilingRows = raw.get(s.name);
      if (ceilingRows) {
        console.log(
          `  service / raw onnxruntime at its batch   ${((service.rps * s.rows) / median(ceilingRows)).toFixed(2)}  (raw ${median(ceilingRows).toFixed(0)} rows/s)`,
        );
      }
    }
  } finally {
    ceiling?.stop();
    await peer?.stop();
    await svc?.stop('SIGTERM');
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
