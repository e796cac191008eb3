/**
 * INT8 against FP32 for digits-mlp (model optimisation, models/optimize): version 1 (FP32) and
 * version 2 (the INT8 model `npm run model:optimize` published), in interleaved rounds so that load
 * from other processes on a shared machine falls on both alike; medians over rounds.
 *
 *   npx tsx service/bench/int8.ts [--rounds 3] [--seconds 5]
 *
 * Prints: raw in-process onnxruntime rows/s at batch 32 (one thread, the service's session options);
 * the real service under 64 connections of 1-row and of 32-row requests (dynamic batching on, cache
 * off), pinned to each version by URL, with req/s, latency and service CPU per request; cold start to
 * ready with every bundled model and without digits-mlp, and each version's load time.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { measureRawThroughput } from './raw-throughput';
import { percentile } from '../../test/support/load';
import { REPO_ROOT, startServiceProcess, waitReady } from '../../test/support/service-process';
import { drive, fmt, type Run } from './closed-loop';
import { processCpuMs } from './process-cpu';
import { arg } from './args';
import { runMain } from './run-main';

const ROUNDS = Number(arg('rounds', '3'));
const SECONDS = Number(arg('seconds', '5'));
const MODELS = path.join(REPO_ROOT, 'models');
const VERSIONS = ['1', '2'] as const;
const median = (xs: number[]) => percentile(xs, 50);

/** digits-mlp alone, both versions served, the prediction cache off so every request runs the model. */
function benchRepository(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-int8-'));
  cpSync(path.join(MODELS, 'digits-mlp'), path.join(dir, 'digits-mlp'), { recursive: true });
  const file = path.join(dir, 'digits-mlp', 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  config.cache = { enabled: false, ttl_seconds: 300 };
  writeFileSync(file, JSON.stringify(config));
  return dir;
}

/** Runs `measure` for each version, order alternating per round; returns every round's value per version. */
async function interleaved<T>(measure: (version: string) => Promise<T>): Promise<Record<string, T[]>> {
  const out: Record<string, T[]> = { 1: [], 2: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of r % 2 === 0 ? VERSIONS : [...VERSIONS].reverse()) out[v].push(await measure(v));
  }
  return out;
}

async function raw(repo: string) {
  const rows = await interleaved(
    async (version) =>
      (
        await measureRawThroughput({
          modelDir: path.join(repo, 'digits-mlp'),
          version,
          batchSize: 32,
          durationMs: SECONDS * 1000,
        })
      ).rowsPerSecond,
  );
  console.log('## raw onnxruntime-node, batch 32, 1 thread (rows/s per round)');
  for (const v of VERSIONS) {
    console.log(
      `v${v}: ${rows[v].map((x) => x.toFixed(0)).join(', ')}  median ${median(rows[v]).toFixed(0)}`,
    );
  }
  console.log(`INT8 / FP32 (medians): ${(median(rows['2']) / median(rows['1'])).toFixed(2)}x\n`);
}

/** Both versions under 64 connections of `rows`-row requests; medians over the interleaved rounds. */
async function serviceScenario(url: string, pid: number, rows: number[][]) {
  const body = JSON.stringify({
    inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 64], data: rows.flat() }],
  });
  // Service CPU per request is the work a request costs; unlike req/s it hardly moves when other
  // processes take the cores.
  const runs: Record<string, (Run & { cpuUs: number })[]> = await interleaved(async (v) => {
    const cpu = processCpuMs(pid);
    const run = await drive(`${url}/v2/models/digits-mlp/versions/${v}/infer`, body, SECONDS);
    return { ...run, cpuUs: ((processCpuMs(pid) - cpu) * 1000) / run.requests };
  });
  console.log(`## service, 64 connections, ${rows.length}-row requests, ${SECONDS} s per round`);
  for (const v of VERSIONS) {
    for (const r of runs[v]) console.log(`v${v}  ${fmt(r)}   service CPU ${r.cpuUs.toFixed(0)} us/request`);
  }
  const med = (v: string, k: keyof Run | 'cpuUs') => median(runs[v].map((r) => r[k]));
  for (const v of VERSIONS) {
    console.log(
      `v${v} medians: ${med(v, 'rps').toFixed(0)} req/s, p50 ${med(v, 'p50').toFixed(2)} ms, ` +
        `p99 ${med(v, 'p99').toFixed(2)} ms, service CPU ${med(v, 'cpuUs').toFixed(0)} us/request`,
    );
  }
  console.log(`INT8 / FP32 req/s (medians): ${(med('2', 'rps') / med('1', 'rps')).toFixed(2)}x`);
  console.log(
    `FP32 / INT8 service CPU per request (medians): ${(med('1', 'cpuUs') / med('2', 'cpuUs')).toFixed(2)}x\n`,
  );
}

async function service(repo: string) {
  const svc = await startServiceProcess({ MODEL_REPOSITORY: repo, LOG_LEVEL: 'info' });
  try {
    await waitReady(svc, 60_000);
    const split = JSON.parse(readFileSync(path.join(repo, 'digits-mlp', 'testdata', 'test.json'), 'utf8'));
    // One image per request (the batcher forms the batches), then 32 per request, where the model's
    // share of a request's cost is larger than HTTP's and JSON's.
    await serviceScenario(svc.url, svc.child.pid!, split.inputs.slice(0, 1));
    await serviceScenario(svc.url, svc.child.pid!, split.inputs.slice(0, 32));
  } finally {
    await svc.stop('SIGTERM');
  }
}

async function coldStart() {
  const without = mkdtempSync(path.join(tmpdir(), 'bench-cold-'));
  cpSync(MODELS, without, { recursive: true, filter: (src) => !src.includes(`${path.sep}digits-mlp`) });
  const repos = { 'all bundled models': MODELS, 'without digits-mlp': without };
  const times: Record<string, number[]> = { 'all bundled models': [], 'without digits-mlp': [] };
  const loads: Record<string, number[]> = {};
  // CPU seconds the service spent to reach ready: the work a start costs, which the machine's load
  // moves far less than the wall time.
  const cpu: Record<string, number[]> = { 'all bundled models': [], 'without digits-mlp': [] };
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const order = Object.entries(repos);
      for (const [name, repo] of r % 2 === 0 ? order : order.reverse()) {
        const started = performance.now();
        const svc = await startServiceProcess({ MODEL_REPOSITORY: repo, LOG_LEVEL: 'info' });
        await waitReady(svc, 60_000);
        times[name].push((performance.now() - started) / 1000);
        cpu[name].push(processCpuMs(svc.child.pid!) / 1000);
        for (const line of svc.lines.filter((l) => l.includes('"msg":"model version ready"'))) {
          const { model, version, loadSeconds } = JSON.parse(line);
          (loads[`${model}/${version}`] ??= []).push(loadSeconds * 1000);
        }
        await svc.stop('SIGTERM');
      }
    }
  } finally {
    rmSync(without, { recursive: true, force: true });
  }
  console.log('## cold start to ready (spawn -> GET /v2/health/ready 200)');
  for (const [name, t] of Object.entries(times)) {
    console.log(
      `${name}: ${t.map((x) => `${x.toFixed(2)} s`).join(', ')}  median ${median(t).toFixed(2)} s, ` +
        `service CPU to ready median ${median(cpu[name]).toFixed(2)} s`,
    );
  }
  console.log('open + check + warm up, per version (service log, median ms):');
  for (const [id, ms] of Object.entries(loads).sort()) console.log(`  ${id}: ${median(ms).toFixed(0)} ms`);
}

async function main() {
  console.log(`# INT8 vs FP32, digits-mlp (${ROUNDS} interleaved rounds, ${SECONDS} s each)`);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}; shared, numbers move with its load\n`);
  const repo = benchRepository();
  try {
    await raw(repo);
    await service(repo);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
  await coldStart();
}

runMain(main);
