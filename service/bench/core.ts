/**
 * Core service benchmarks, the first part of `npm run bench`. Everything runs on this
 * machine over loopback, bounded in time; the service and the HTTP ceilings run as their own
 * processes, autocannon drives them from this one.
 *
 *   npx tsx service/bench/core.ts [--seconds 8] [--workers 1,2]
 *
 * Prints, per service layout (WORKERS=1 / WORKERS=2 / one process with 2 onnxruntime threads):
 * throughput and p50/p95/p99 for heavy-mlp batched and unbatched and for breast-cancer at 64
 * connections; then the ceilings (raw in-process onnxruntime at the batch sizes the service
 * formed, a minimal node:http route and the same on Express, both parsing the same JSON); then
 * cold start to ready. p95 needs every latency, so they come from autocannon's response events
 * (fractional ms) rather than its summary.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { CONNECTIONS, drive as driveFor, fmt, type Run } from './closed-loop';
import { measureRawThroughput } from './raw-throughput';
import { startBenchServer } from './bench-server';
import { batchTotals, classifierBody, heavyBody } from './requests';
import { REPO_ROOT, startServiceProcess, waitReady } from '../../test/support/service-process';
import { arg } from './args';
import { runMain } from './run-main';

const SECONDS = Number(arg('seconds', '8'));
const drive = (url: string, body: string) => driveFor(url, body, SECONDS);
const MODELS = path.join(REPO_ROOT, 'models');

/**
 * The bench model repository: breast-cancer, heavy-mlp as bundled, and heavy-mlp-unbatched (the
 * same ONNX file without dynamic_batching), with onnxruntime's intra-op threads set as asked.
 */
function benchRepository(intraOpThreads: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-models-'));
  const variant = (source: string, name: string, edit: (config: Record<string, unknown>) => void) => {
    const config = JSON.parse(readFileSync(path.join(MODELS, source, 'config.json'), 'utf8'));
    config.name = name;
    (config.session as Record<string, unknown>).intra_op_num_threads = intraOpThreads;
    edit(config);
    mkdirSync(path.join(dir, name, '1'), { recursive: true });
    writeFileSync(path.join(dir, name, 'config.json'), JSON.stringify(config, null, 2));
    symlinkSync(path.join(MODELS, source, '1', 'model.onnx'), path.join(dir, name, '1', 'model.onnx'));
  };
  variant('heavy-mlp', 'heavy-mlp', () => undefined);
  variant('heavy-mlp', 'heavy-mlp-unbatched', (c) => delete c.dynamic_batching);
  cpSync(path.join(MODELS, 'breast-cancer'), path.join(dir, 'breast-cancer'), { recursive: true });
  const bc = path.join(dir, 'breast-cancer', 'config.json');
  const config = JSON.parse(readFileSync(bc, 'utf8'));
  config.session.intra_op_num_threads = intraOpThreads;
  writeFileSync(bc, JSON.stringify(config, null, 2));
  return dir;
}

const heavy = heavyBody(1);

/** Mean rows per executed batch, over every version of `model`, from the service's own histogram. */
async function meanBatchSize(url: string, model: string): Promise<number> {
  const { sum, count } = await batchTotals(url, model);
  return sum / count;
}

interface Layout {
  name: string;
  workers: number;
  intraOpThreads: number;
}

async function serviceScenarios(layout: Layout) {
  const repo = benchRepository(layout.intraOpThreads);
  const svc = await startServiceProcess({
    MODEL_REPOSITORY: repo,
    WORKERS: String(layout.workers),
    LOG_LEVEL: 'info',
  });
  try {
    await waitReady(svc, 60_000);
    const infer = (model: string) => `${svc.url}/v2/models/${model}/infer`;
    const batched = await drive(infer('heavy-mlp'), heavy);
    const formed = await meanBatchSize(svc.url, 'heavy-mlp');
    const unbatched = await drive(infer('heavy-mlp-unbatched'), heavy);
    const classifier = await drive(infer('breast-cancer'), classifierBody);
    const classifierBatch = await meanBatchSize(svc.url, 'breast-cancer');
    return { layout, batched, formed, unbatched, classifier, classifierBatch };
  } finally {
    await svc.stop('SIGTERM');
    rmSync(repo, { recursive: true, force: true });
  }
}

/** Starts a bench server script, drives it with `body`, stops it. */
async function driveScript(script: string, args: string[], urlPath: string, body: string): Promise<Run> {
  const server = await startBenchServer(script, args);
  try {
    return await drive(`${server.url}${urlPath}`, body);
  } finally {
    server.stop();
  }
}

const ceilingServer = (mode: 'http' | 'express') =>
  driveScript('ceiling-server.ts', [mode], '/v2/models/breast-cancer/infer', classifierBody);

async function coldStart(workers: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const svc = await startServiceProcess({ WORKERS: String(workers), LOG_LEVEL: 'info' });
    try {
      await waitReady(svc, 60_000);
      times.push(performance.now() - started);
    } finally {
      await svc.stop('SIGTERM');
    }
  }
  return times;
}

async function main() {
  console.log(`# core benchmarks (${SECONDS} s per scenario, ${CONNECTIONS} connections, loopback)`);
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`,
  );
  console.log('note: the machine is shared; numbers move with whatever else runs.\n');

  const layouts: Layout[] = arg('workers', '1,2')
    .split(',')
    .map((w) => ({ name: `WORKERS=${w}, 1 ORT thread`, workers: Number(w), intraOpThreads: 1 }));
  layouts.push({ name: 'WORKERS=1, 2 ORT threads', workers: 1, intraOpThreads: 2 });

  const results = [];
  for (const layout of layouts) {
    const r = await serviceScenarios(layout);
    results.push(r);
    console.log(`## service, ${layout.name}`);
    console.log(`heavy-mlp batched     ${fmt(r.batched)}   mean batch ${r.formed.toFixed(1)}`);
    console.log(`heavy-mlp unbatched   ${fmt(r.unbatched)}`);
    console.log(`breast-cancer         ${fmt(r.classifier)}   mean batch ${r.classifierBatch.toFixed(1)}`);
    console.log(`batched / unbatched   ${(r.batched.rps / r.unbatched.rps).toFixed(2)}x\n`);
  }

  console.log('## ceilings');
  const rawAt = async (model: string, batchSize: number, threads = 1) => {
    const repo = benchRepository(threads);
    try {
      return await measureRawThroughput({ modelDir: path.join(repo, model), batchSize, durationMs: 3000 });
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  };
  const raw: Record<string, number> = {};
  for (const r of results) {
    const batch = Math.max(1, Math.round(r.formed));
    const key = `heavy-mlp@${batch}/t${r.layout.intraOpThreads}`;
    raw[key] ??= (await rawAt('heavy-mlp', batch, r.layout.intraOpThreads)).rowsPerSecond;
    console.log(
      `raw onnxruntime heavy-mlp, batch ${batch}, ${r.layout.intraOpThreads} thread(s): ${raw[key].toFixed(0)} rows/s`,
    );
  }
  const raw1 = (await rawAt('heavy-mlp', 1)).rowsPerSecond;
  console.log(`raw onnxruntime heavy-mlp, batch 1, 1 thread: ${raw1.toFixed(0)} rows/s`);
  const rawBc = (await rawAt('breast-cancer', 1)).rowsPerSecond;
  console.log(`raw onnxruntime breast-cancer, batch 1, 1 thread: ${rawBc.toFixed(0)} rows/s`);
  const nodeHttp = await ceilingServer('http');
  console.log(`node:http constant     ${fmt(nodeHttp)}`);
  const expressRun = await ceilingServer('express');
  console.log(`express constant       ${fmt(expressRun)}`);
  console.log(`express / node:http    ${(expressRun.rps / nodeHttp.rps).toFixed(2)}\n`);

  console.log('## where the classifier time goes (WORKERS=1)');
  const core = await driveScript(
    'service-without-guards.ts',
    [],
    '/v2/models/breast-cancer/infer',
    classifierBody,
  );
  const withGuards = results[0].classifier;
  console.log(
    `service without guards ${fmt(core)}   ${((100 * core.rps) / nodeHttp.rps).toFixed(0)}% of node:http`,
  );
  console.log(
    `service with guards    ${fmt(withGuards)}   ${((100 * withGuards.rps) / nodeHttp.rps).toFixed(0)}% of node:http`,
  );
  console.log(
    `guards cost            ${((100 * (core.rps - withGuards.rps)) / core.rps).toFixed(0)}% of the core's throughput\n`,
  );

  console.log('## ratios against the targets');
  for (const r of results) {
    const batch = Math.max(1, Math.round(r.formed));
    const rawKey = `heavy-mlp@${batch}/t${r.layout.intraOpThreads}`;
    console.log(`${r.layout.name}:`);
    console.log(
      `  heavy batched / unbatched          ${(r.batched.rps / r.unbatched.rps).toFixed(2)}x (target >= 3x)`,
    );
    console.log(
      `  heavy batched / raw ORT @ batch ${batch}   ${((100 * r.batched.rps) / raw[rawKey]).toFixed(0)}% (target >= 60%)`,
    );
    console.log(
      `  classifier / node:http ceiling     ${((100 * r.classifier.rps) / nodeHttp.rps).toFixed(0)}% (target >= 40%)`,
    );
    console.log(
      `  p99 heavy batched / classifier     ${r.batched.p99.toFixed(1)} / ${r.classifier.p99.toFixed(1)} ms (target < 50 ms)`,
    );
    // Closed loop: 64 clients over an unbatched model that runs one row at a time cannot wait less
    // than 64 / throughput on average, whatever the server does.
    console.log(
      `  p99 heavy unbatched                ${r.unbatched.p99.toFixed(1)} ms (floor 64 / rps = ${((1000 * CONNECTIONS) / r.unbatched.rps).toFixed(0)} ms mean)`,
    );
  }

  console.log('\n## cold start to ready (spawn -> GET /v2/health/ready 200, bundled models)');
  for (const workers of [1, 2]) {
    const times = await coldStart(workers);
    console.log(
      `WORKERS=${workers}: ${times.map((t) => `${(t / 1000).toFixed(2)} s`).join(', ')} (target < 2 s)`,
    );
  }
}

runMain(main);
