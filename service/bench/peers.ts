/**
 * The service against what its users would otherwise run, in interleaved rounds on this machine:
 * the peers of peer-kinds.ts (FastAPI, MLServer and LitServe, each on onnxruntime with one intra-op
 * thread, two inference workers and the same ONNX files; service/bench/peer/) and the bare
 * node:http ceiling (ceiling-server.ts), all fed the same request bytes over loopback. Every peer
 * must answer as the service does before anything is timed, and only the server being timed runs:
 * the other peers are paused. Prints every round, medians and per-round ratios; for heavy-mlp also
 * the batch the service formed and raw onnxruntime at that batch, in rows per wall second and per
 * CPU-second (the service process's, onnxruntime's threads included), and the 32-row requests once
 * more in the binary tensor extension.
 *
 *   npm run bench:peers -- [--seconds 5] [--rounds 3] [--workers 1] [--peers fastapi,mlserver,litserve]
 *
 * The first run creates each peer's venv (.venv-peer*, pinned by service/bench/peer/**requirements.txt).
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import path from 'node:path';
import { startBenchServer, type BenchServer } from './bench-server';
import { closedLoop, type LatencyRun } from './closed-loop';
import { outputDifferences } from './peer-equality';
import { parsePeers, type PeerName } from './peer-kinds';
import { startPeer, type Peer } from './peer-process';
import { measureRawThroughput } from './raw-throughput';
import { batchTotals, classifierBody, heavyBinaryBody, heavyBody } from './requests';
import { processCpuMs } from './process-cpu';
import { median } from './rounds';
import {
  REPO_ROOT,
  startServiceProcess,
  waitReady,
  type ServiceProcess,
} from '../../test/support/service-process';
import { arg } from './args';
import { runMain } from './run-main';

const SECONDS = Number(arg('seconds', '5'));
const ROUNDS = Number(arg('rounds', '3'));
const WORKERS = arg('workers', '1');
const MODELS = path.join(REPO_ROOT, 'models');
const PEERS = parsePeers(arg('peers', 'fastapi,mlserver,litserve'));

interface Scenario {
  name: string;
  path: string;
  body: string;
  connections: number;
  rows: number;
  /** heavy-mlp: report the batch the service formed and raw onnxruntime at it. */
  batched?: string;
  /** Also drive the service with the same tensor in the binary tensor extension. */
  binary?: { body: Buffer; headerLength: number };
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
    binary: heavyBinaryBody(32),
  },
];

type Target = 'service' | PeerName | 'node:http' | 'service, binary';
const TARGETS: Target[] = ['service', ...PEERS, 'node:http'];
const targetsOf = (s: Scenario): Target[] => (s.binary ? [...TARGETS, 'service, binary'] : TARGETS);

interface Sample {
  run: LatencyRun;
  /** The service's mean batch over the run (heavy-mlp). */
  batch?: number;
  /** Service runs: rows per second of the service process's CPU time. */
  rowsPerCpuSecond?: number;
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

/** Every peer must compute what the service computes, scenario by scenario, before any timing. */
async function checkEquality(service: string, peer: Peer): Promise<void> {
  for (const s of SCENARIOS) {
    const differences = outputDifferences(
      await post(service + s.path, s.body),
      await post(peer.url + s.path, s.body),
    );
    if (differences.length > 0) {
      throw new Error(
        `the ${peer.name} peer answers '${s.name}' differently:\n  ${differences.join('\n  ')}`,
      );
    }
  }
  console.log(`equality: ${peer.name} returns the service's outputs for all ${SCENARIOS.length} requests`);
}

/** Seconds of load the bench will drive, warm-up and raw onnxruntime included. */
const plannedSeconds = () =>
  SCENARIOS.reduce(
    (sum, s) => sum + targetsOf(s).length * (1 + ROUNDS * SECONDS) + (s.rows > 1 ? ROUNDS * 2 : 0),
    0,
  );

async function main() {
  console.log(
    `# peers: ${PEERS.join(', ')}; ${ROUNDS} interleaved rounds, ${SECONDS} s per run, loopback; ` +
      `about ${Math.ceil(plannedSeconds() / 60)} min of load after start-up`,
  );
  console.log(`machine: ${machine()}; node ${process.version}; load average at start ${load()}\n`);
  let svc: ServiceProcess | undefined;
  const peers: Peer[] = [];
  let ceiling: BenchServer | undefined;
  try {
    svc = await startServiceProcess({ MODEL_REPOSITORY: MODELS, WORKERS });
    await waitReady(svc, 120_000);
    for (const name of PEERS) {
      const peer = await startPeer(name, {
        models: MODELS,
        serve: ['breast-cancer/1', 'heavy-mlp/1'],
        log: (line) => console.log(`${name}: ${line}`),
      });
      peers.push(peer);
      // Paused until its turn, from here on: its start-up and idle polling stay out of others' runs.
      peer.pause();
    }
    ceiling = await startBenchServer('ceiling-server.ts', ['http']);
    for (const peer of peers) {
      peer.resume();
      await checkEquality(svc.url, peer);
      peer.pause();
    }
    console.log('');
    const urls = {
      service: svc.url,
      'node:http': ceiling.url,
      'service, binary': svc.url,
      ...Object.fromEntries(peers.map((p) => [p.name, p.url])),
    } as Record<Target, string>;
    const closedLoopOn = (s: Scenario, t: Target, seconds: number) =>
      t === 'service, binary'
        ? closedLoop(
            urls[t],
            s.binary!.body,
            s.connections,
            seconds,
            {
              'content-type': 'application/octet-stream',
              'inference-header-content-length': String(s.binary!.headerLength),
            },
            s.path,
          )
        : closedLoop(urls[t], s.body, s.connections, seconds, {}, s.path);
    /** A peer runs only while it is driven: paused, it takes nothing from the others' runs. */
    const drive = async (s: Scenario, t: Target, seconds: number) => {
      const peer = peers.find((p) => p.name === t);
      peer?.resume();
      try {
        return await closedLoopOn(s, t, seconds);
      } finally {
        peer?.pause();
      }
    };

    // Every server answers each scenario for a second before the rounds: JIT, pools, both workers.
    for (const s of SCENARIOS) {
      for (const t of targetsOf(s)) await drive(s, t, 1);
    }

    const samples = new Map<string, Sample[]>();
    /** Per scenario, per round: the service's ratios to the others. */
    const ratios = new Map<string, Record<string, number[]>>();
    const key = (s: Scenario, t: Target) => `${s.name}|${t}`;
    const addRatio = (s: Scenario, what: string, value: number) => {
      const r = ratios.get(s.name) ?? {};
      (r[what] ??= []).push(value);
      ratios.set(s.name, r);
    };
    for (let r = 0; r < ROUNDS; r++) {
      console.log(`## round ${r + 1} (load average ${load()})`);
      for (const s of SCENARIOS) {
        // Rotate who goes first, so that no server always runs on a machine warmed by another.
        const targets = targetsOf(s);
        const order = targets.map((_, i) => targets[(i + r) % targets.length]);
        const round = new Map<Target, Sample>();
        for (const t of order) {
          const service = t.startsWith('service');
          const before = s.batched && service ? await batchTotals(svc.url, s.batched) : undefined;
          const cpuBefore = service ? processCpuMs(svc.child.pid!) : 0;
          const run = await drive(s, t, SECONDS);
          const sample: Sample = { run };
          if (service)
            sample.rowsPerCpuSecond =
              (run.requests * s.rows * 1000) / (processCpuMs(svc.child.pid!) - cpuBefore);
          if (before) {
            const after = await batchTotals(svc.url, s.batched!);
            sample.batch = (after.sum - before.sum) / (after.count - before.count);
          }
          round.set(t, sample);
          samples.set(key(s, t), [...(samples.get(key(s, t)) ?? []), sample]);
          console.log(
            `${s.name} | ${t.padEnd(15)} ${run.rps.toFixed(0).padStart(6)} req/s ${(run.rps * s.rows).toFixed(0).padStart(6)} rows/s` +
              `  p50 ${run.p50.toFixed(1)} ms  p99 ${run.p99.toFixed(1)} ms` +
              `${sample.batch === undefined ? '' : `  mean batch ${sample.batch.toFixed(1)}`}` +
              `${sample.rowsPerCpuSecond === undefined ? '' : `  ${sample.rowsPerCpuSecond.toFixed(0)} rows/CPU-s`}` +
              `  (${run.failures} not 200)`,
          );
        }
        const svcRun = round.get('service')!;
        for (const p of PEERS) addRatio(s, `service / ${p}`, svcRun.run.rps / round.get(p)!.run.rps);
        if (PEERS.length > 1) {
          const best = Math.max(...PEERS.map((p) => round.get(p)!.run.rps));
          addRatio(s, 'service / best peer of the round', svcRun.run.rps / best);
        }
        addRatio(s, 'service / node:http', svcRun.run.rps / round.get('node:http')!.run.rps);
        if (s.rows > 1) {
          // Raw onnxruntime at the batch the service just formed: the ceiling the target is judged by.
          const batch = Math.max(1, Math.round(svcRun.batch!));
          const m = await measureRawThroughput({
            modelDir: path.join(MODELS, 'heavy-mlp'),
            batchSize: batch,
            durationMs: 2000,
          });
          console.log(
            `${s.name} | raw onnxruntime at batch ${batch}: ${m.rowsPerSecond.toFixed(0)} rows/s, ${m.rowsPerCpuSecond.toFixed(0)} rows/CPU-s`,
          );
          for (const t of ['service', 'service, binary'] as const) {
            const x = round.get(t);
            if (!x) continue;
            addRatio(
              s,
              `${t} / raw onnxruntime at its batch (rows/s)`,
              (x.run.rps * s.rows) / m.rowsPerSecond,
            );
            addRatio(
              s,
              `${t} / raw onnxruntime at its batch (rows/CPU-s)`,
              x.rowsPerCpuSecond! / m.rowsPerCpuSecond,
            );
          }
        }
      }
      console.log('');
    }

    console.log(`## medians (load average at the end ${load()})`);
    for (const s of SCENARIOS) {
      console.log(s.name);
      for (const t of targetsOf(s)) {
        const list = samples.get(key(s, t))!;
        const rps = median(list.map((x) => x.run.rps));
        const batch =
          list[0].batch === undefined ? '' : `  mean batch ${median(list.map((x) => x.batch!)).toFixed(1)}`;
        const cpu =
          list[0].rowsPerCpuSecond === undefined
            ? ''
            : `  ${median(list.map((x) => x.rowsPerCpuSecond!)).toFixed(0)} rows/CPU-s`;
        const failures = list.reduce((n, x) => n + x.run.failures, 0);
        console.log(
          `  ${t.padEnd(15)} ${rps.toFixed(0).padStart(6)} req/s ${(rps * s.rows).toFixed(0).padStart(6)} rows/s` +
            `  p99 ${median(list.map((x) => x.run.p99)).toFixed(1)} ms${batch}${cpu}  (${failures} not 200)`,
        );
      }
      for (const [what, xs] of Object.entries(ratios.get(s.name)!)) {
        console.log(
          `  ${what.padEnd(52)} ${median(xs).toFixed(2)}   rounds ${xs.map((x) => x.toFixed(2)).join(' ')}`,
        );
      }
    }
  } finally {
    ceiling?.stop();
    for (const peer of peers) await peer.stop();
    await svc?.stop('SIGTERM');
  }
}

// A peer runs in a process group of its own, out of reach of the terminal's Ctrl-C: exiting runs
// peer-process.ts's exit handler, which kills each group.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

runMain(main);
