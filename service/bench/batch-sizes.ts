/**
 * How batches of multi-row requests should form: raw onnxruntime rows/s for heavy-mlp at batch
 * 32..512 (the ceiling at each size), then the service fed 32-row requests from 16 connections
 * with dynamic_batching.max_batch_rows at 64..512, in interleaved rounds. Prints every round,
 * medians, the mean batch each cap formed and the service's share of raw onnxruntime at it, in
 * rows per wall second and per CPU-second (the latter barely moves with the machine's load).
 *
 *   npx tsx service/bench/batch-sizes.ts [--seconds 6] [--rounds 3] [--caps 64,128,256,512]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { closedLoop } from './closed-loop';
import { measureRawThroughput } from './raw-throughput';
import { batchTotals, heavyBody } from './requests';
import { BUNDLED_MODELS, makeModelRepo } from '../../test/support/model-repo';
import { startServiceProcess, waitReady } from '../../test/support/service-process';
import { median } from './rounds';
import { processCpuMs } from './process-cpu';
import { arg } from './args';
import { runMain } from './run-main';

const SECONDS = Number(arg('seconds', '6'));
const ROUNDS = Number(arg('rounds', '3'));
const CAPS = arg('caps', '64,128,256,512').split(',').map(Number);
const RAW_SIZES = [32, 64, 128, 256, 512];
const ROWS = 32;
const CONNECTIONS = 16;
const HEAVY = path.join(BUNDLED_MODELS, 'heavy-mlp');
const heavyConfig = JSON.parse(readFileSync(path.join(HEAVY, 'config.json'), 'utf8'));

async function main() {
  console.log(`# batch formation, heavy-mlp, ${ROWS} rows per request, ${CONNECTIONS} connections`);
  console.log(`${ROUNDS} interleaved rounds, ${SECONDS} s per service run, 2 s per raw run\n`);
  const raw = new Map<number, { wall: number[]; cpu: number[] }>(
    RAW_SIZES.map((b) => [b, { wall: [], cpu: [] }]),
  );
  for (let r = 0; r < ROUNDS; r++) {
    for (const b of RAW_SIZES) {
      const m = await measureRawThroughput({ modelDir: HEAVY, batchSize: b, durationMs: 2000 });
      raw.get(b)!.wall.push(m.rowsPerSecond);
      raw.get(b)!.cpu.push(m.rowsPerCpuSecond);
    }
  }
  console.log('## raw onnxruntime-node, 1 intra-op thread: rows/s (wall) and rows per CPU-second');
  for (const [b, m] of raw) {
    console.log(
      `batch ${String(b).padStart(3)}  ${median(m.wall).toFixed(0).padStart(6)} rows/s  ${median(m.cpu).toFixed(0).padStart(6)} rows/CPU-s` +
        `   rounds ${m.wall.map((x) => x.toFixed(0)).join(' ')} | ${m.cpu.map((x) => x.toFixed(0)).join(' ')}`,
    );
  }

  const repo = makeModelRepo(
    CAPS.map((cap) => ({
      name: `heavy-mlp-rows${cap}`,
      from: HEAVY,
      config: {
        // The bundled config with only the cap changed.
        dynamic_batching: { ...heavyConfig.dynamic_batching, max_batch_rows: cap },
        warmup: { batch_sizes: [1, 32, 64, cap], iterations: 2 },
      },
    })),
  );
  const svc = await startServiceProcess({ MODEL_REPOSITORY: repo.path, WORKERS: '1' });
  try {
    await waitReady(svc, 120_000);
    const body = heavyBody(ROWS);
    const runs = new Map<
      number,
      { rows: number[]; cpu: number[]; p99: number[]; batch: number[]; failures: number }
    >(CAPS.map((c) => [c, { rows: [], cpu: [], p99: [], batch: [], failures: 0 }]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const cap of CAPS) {
        const model = `heavy-mlp-rows${cap}`;
        const before = await batchTotals(svc.url, model);
        const cpuBefore = processCpuMs(svc.child.pid!);
        const run = await closedLoop(svc.url, body, CONNECTIONS, SECONDS, {}, `/v2/models/${model}/infer`);
        const cpuSeconds = (processCpuMs(svc.child.pid!) - cpuBefore) / 1000;
        const after = await batchTotals(svc.url, model);
        const m = runs.get(cap)!;
        m.rows.push(run.rps * ROWS);
        m.cpu.push((run.requests * ROWS) / cpuSeconds);
        m.p99.push(run.p99);
        m.batch.push((after.sum - before.sum) / (after.count - before.count));
        m.failures += run.failures;
      }
    }
    console.log('\n## service, WORKERS=1, one onnxruntime thread per version');
    const rawAt = (batch: number) => {
      // The raw ceiling at the measured size nearest to the batch the service formed.
      const nearest = RAW_SIZES.reduce((a, b) => (Math.abs(b - batch) < Math.abs(a - batch) ? b : a));
      return { size: nearest, rows: median(raw.get(nearest)!.wall), cpu: median(raw.get(nearest)!.cpu) };
    };
    for (const [cap, m] of runs) {
      const batch = median(m.batch);
      const ceiling = rawAt(batch);
      console.log(
        `max_batch_rows ${String(cap).padStart(3)}  ${median(m.rows).toFixed(0).padStart(6)} rows/s  ${median(m.cpu).toFixed(0).padStart(6)} rows/CPU-s  ` +
          `p99 ${median(m.p99).toFixed(0)} ms  mean batch ${batch.toFixed(0)}  ` +
          `${(median(m.rows) / ceiling.rows).toFixed(2)} of raw @${ceiling.size} (rows/s), ${(median(m.cpu) / ceiling.cpu).toFixed(2)} (rows/CPU-s)  ` +
          `(${m.failures} not 200)   rounds ${m.rows.map((x) => x.toFixed(0)).join(' ')} | ${m.cpu.map((x) => x.toFixed(0)).join(' ')}`,
      );
    }
  } finally {
    await svc.stop('SIGTERM');
    repo.cleanup();
  }
}

runMain(main);
