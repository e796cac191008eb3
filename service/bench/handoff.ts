/**
 * What handing one batch to an onnxruntime thread, and taking its answer, costs, against running
 * the same session on the event loop's thread. One process, no HTTP: the classifier the hot-path
 * benches send (breast-cancer version 1, one row) runs `--batches` times per round, each batch sent
 * when the previous one has answered, `--gap-ms` later (0: back to back, as a burst at saturation;
 * 1: one batch a millisecond, as a classifier at 3000 req/s forms them). Per batch, each variant
 * reads the main thread's CPU and the whole process's (every thread, process-cpu.ts), minus what the
 * pacing alone costs (the `idle` variant), and the wall time from send to answer.
 *
 * Variants, interleaved round by round:
 * - `pool`:     the engine's default, a SessionPool thread (one postMessage each way);
 * - `inline`:   the session opened on this thread (openInline);
 * - `message`:  an empty worker answering each postMessage, the signalling alone;
 * - `atomics`:  an empty worker blocked in Atomics.wait on shared memory, woken by Atomics.notify,
 *               answering through shared memory that this thread awaits with Atomics.waitAsync.
 *
 *   npx tsx service/bench/handoff.ts [--rounds 6] [--batches 2000] [--gap-ms 1]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Tensor } from '../src/core/tensor';
import { silentLogger } from '../src/core/logger';
import { readModelConfig } from '../src/repository/config-file';
import { openInline } from '../src/runtime/ort-runner';
import { SessionPool } from '../src/runtime/session-pool';
import { REPO_ROOT } from '../../test/support/service-process';
import { numberArg } from './args';
import { mainThreadCpuMs, processCpuMs } from './process-cpu';
import { median } from './rounds';

const ROUNDS = numberArg('rounds', 6);
const BATCHES = numberArg('batches', 2000);
const GAP_MS = numberArg('gap-ms', 1);

type Send = () => Promise<unknown>;

const MODEL_DIR = path.join(REPO_ROOT, 'models', 'breast-cancer');
const row: number[] = JSON.parse(readFileSync(path.join(MODEL_DIR, 'testdata', 'test.json'), 'utf8'))
  .inputs[0];
const inputs: Tensor[] = [{ name: 'input', datatype: 'FP32', shape: [1, 30], data: Float32Array.from(row) }];
const OUTPUTS = ['label', 'probabilities'];

function echoWorker(): { send: Send; close(): Promise<number> } {
  const worker = new Worker(
    `require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(m))`,
    { eval: true },
  );
  let answer: (() => void) | undefined;
  worker.on('message', () => answer?.());
  return {
    send: () =>
      new Promise<void>((resolve) => {
        answer = resolve;
        worker.postMessage({ id: 1, inputs });
      }),
    close: () => worker.terminate(),
  };
}

function atomicsWorker(): { send: Send; close(): Promise<number> } {
  // [0]: requests sent, [1]: requests answered.
  const signals = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(
    `const s = new Int32Array(require('node:worker_threads').workerData);
     let seen = 0;
     for (;;) {
       Atomics.wait(s, 0, seen);
       seen = Atomics.load(s, 0);
       if (seen < 0) break;
       Atomics.store(s, 1, seen);
       Atomics.notify(s, 1);
     }`,
    { eval: true, workerData: signals.buffer },
  );
  let sent = 0;
  return {
    send: async () => {
      Atomics.store(signals, 0, ++sent);
      Atomics.notify(signals, 0);
      const waited = waitAsync(signals, 1, sent - 1);
      if (waited.async) await waited.value;
    },
    close: () => {
      Atomics.store(signals, 0, -1);
      Atomics.notify(signals, 0);
      return worker.terminate();
    },
  };
}

// In Node since 16; TypeScript types it from lib es2024, above this project's es2022.
const waitAsync = (
  Atomics as unknown as {
    waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

const pause = (ms: number) => new Promise<void>((r) => (ms > 0 ? setTimeout(r, ms) : setImmediate(r)));

interface Reading {
  mainUs: number;
  processUs: number;
  wallUs: number;
}

async function measure(send: Send): Promise<Reading> {
  let wallMs = 0;
  const main0 = mainThreadCpuMs(process.pid);
  const all0 = processCpuMs(process.pid);
  for (let i = 0; i < BATCHES; i++) {
    const t = performance.now();
    await send();
    wallMs += performance.now() - t;
    await pause(GAP_MS);
  }
  return {
    mainUs: ((mainThreadCpuMs(process.pid) - main0) * 1000) / BATCHES,
    processUs: ((processCpuMs(process.pid) - all0) * 1000) / BATCHES,
    wallUs: (wallMs * 1000) / BATCHES,
  };
}

async function main() {
  const config = readModelConfig(path.join(MODEL_DIR, 'config.json'), 'breast-cancer');
  const file = path.join(MODEL_DIR, '1', 'model.onnx');
  const pool = new SessionPool(silentLogger, 2, 0);
  const pooled = await pool.open(file, config.session, silentLogger, 1);
  const inline = await openInline(file, config.session, silentLogger);
  const message = echoWorker();
  const atomics = atomicsWorker();
  const variants: Record<string, Send> = {
    idle: async () => undefined,
    pool: () => pooled.run(inputs, OUTPUTS),
    inline: () => inline.run(inputs, OUTPUTS),
    message: message.send,
    atomics: atomics.send,
  };
  const readings: Record<string, Reading[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  try {
    for (const send of Object.values(variants)) for (let i = 0; i < 200; i++) await send(); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      const names = Object.keys(variants);
      if (r % 2 === 1) names.reverse();
      for (const name of names) readings[name].push(await measure(variants[name]));
    }
  } finally {
    await Promise.all([pooled.release(), inline.release(), message.close(), atomics.close()]);
    await pool.close();
  }
  const idle = readings.idle;
  const m = (rs: Reading[], k: keyof Reading) => median(rs.map((x) => x[k]));
  console.log(
    `# hand-off per batch: ${ROUNDS} rounds x ${BATCHES} batches, ${GAP_MS} ms apart; CPU less the pacing's ` +
      `(idle: main ${m(idle, 'mainUs').toFixed(1)} us, process ${m(idle, 'processUs').toFixed(1)} us)`,
  );
  for (const [name, rs] of Object.entries(readings)) {
    if (name === 'idle') continue;
    const net = (k: 'mainUs' | 'processUs') => median(rs.map((x, i) => x[k] - idle[i][k]));
    console.log(
      `${name.padEnd(8)} main thread ${net('mainUs').toFixed(1).padStart(6)} us   process ${net('processUs').toFixed(1).padStart(6)} us   ` +
        `send to answer ${m(rs, 'wallUs').toFixed(1).padStart(6)} us   (main per round: ${rs.map((x, i) => (x.mainUs - idle[i].mainUs).toFixed(1)).join(' ')})`,
    );
  }
}

void main();
