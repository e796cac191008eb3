/**
 * heavy-mlp with multi-row requests, as JSON and in the binary tensor extension, in this checkout
 * against another checkout of the repository (say, main before a change). Both services run at
 * once as their own processes (WORKERS=1, each checkout's bundled models) and take turns in ABBA
 * order, so that the shared machine's drift hits both alike. Per run: rows/s, rows per CPU-second
 * of the service process (onnxruntime's threads included), main-thread CPU per request and the
 * mean batch formed; then raw onnxruntime at that batch, in this process, for the ratio issue 17
 * states its target in (rows per CPU-second of the service over raw onnxruntime's).
 *
 *   npx tsx service/bench/large-requests-ab.ts --baseline <other checkout> [--rounds 4] [--seconds 6]
 *                                              [--rows 32] [--connections 16]
 */
import path from 'node:path';
import { REPO_ROOT, type ServiceProcess } from '../../test/support/service-process';
import { arg, numberArg, requiredArg } from './args';
import { startCheckoutService } from './bench-processes';
import { closedLoop } from './closed-loop';
import { mainThreadCpuMs, processCpuMs } from './process-cpu';
import { measureRawThroughput } from './raw-throughput';
import { batchTotals, heavyBinaryBody, heavyBody } from './requests';
import { median } from './rounds';
import { runMain } from './run-main';
import { loadAverage } from './temp-service';

const BASELINE = path.resolve(requiredArg('baseline'));
const ROUNDS = numberArg('rounds', 4);
const SECONDS = numberArg('seconds', 6);
const ROWS = numberArg('rows', 32);
const CONNECTIONS = numberArg('connections', 16);
const PATH = arg('path', '/v2/models/heavy-mlp/versions/1/infer');

const json = heavyBody(ROWS);
const binary = heavyBinaryBody(ROWS);
const ENCODINGS = ['json', 'binary'] as const;
type Encoding = (typeof ENCODINGS)[number];

interface Run {
  rowsPerSecond: number;
  rowsPerCpuSecond: number;
  mainThreadUsPerRequest: number;
  /** The other threads (onnxruntime's, V8's helpers): the CPU per request the main thread does not explain. */
  otherThreadsUsPerRequest: number;
  batch: number;
  /** rowsPerCpuSecond over raw onnxruntime's at `batch`. */
  ofRaw: number;
  failures: number;
}

async function run(svc: ServiceProcess, encoding: Encoding): Promise<Run> {
  const pid = svc.child.pid!;
  const before = await batchTotals(svc.url, 'heavy-mlp');
  const cpu = processCpuMs(pid);
  const main = mainThreadCpuMs(pid);
  const r =
    encoding === 'json'
      ? await closedLoop(svc.url, json, CONNECTIONS, SECONDS, {}, PATH)
      : await closedLoop(
          svc.url,
          binary.body,
          CONNECTIONS,
          SECONDS,
          {
            'content-type': 'application/octet-stream',
            'inference-header-content-length': String(binary.headerLength),
          },
          PATH,
        );
  const cpuMs = processCpuMs(pid) - cpu;
  const mainMs = mainThreadCpuMs(pid) - main;
  const after = await batchTotals(svc.url, 'heavy-mlp');
  const batch = (after.sum - before.sum) / (after.count - before.count);
  const raw = await measureRawThroughput({
    modelDir: path.join(REPO_ROOT, 'models', 'heavy-mlp'),
    batchSize: Math.max(1, Math.round(batch)),
    durationMs: 2000,
  });
  const rowsPerCpuSecond = (r.requests * ROWS * 1000) / cpuMs;
  return {
    rowsPerSecond: r.rps * ROWS,
    rowsPerCpuSecond,
    mainThreadUsPerRequest: (mainMs * 1000) / r.requests,
    otherThreadsUsPerRequest: ((cpuMs - mainMs) * 1000) / r.requests,
    batch,
    ofRaw: rowsPerCpuSecond / raw.rowsPerCpuSecond,
    failures: r.failures,
  };
}

async function main(): Promise<void> {
  console.log(
    `# heavy-mlp, ${ROWS} rows per request, ${CONNECTIONS} connections, ${SECONDS} s per run, ` +
      `${ROUNDS} ABBA rounds; load average ${loadAverage()}`,
  );
  console.log(`baseline: ${BASELINE}`);
  const services = {
    this: await startCheckoutService(REPO_ROOT),
    baseline: await startCheckoutService(BASELINE),
  };
  type Side = keyof typeof services;
  const runs = new Map<string, Run[]>();
  try {
    for (const svc of Object.values(services)) {
      for (const e of ENCODINGS) await run(svc, e); // warm-up, not counted
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order: Side[] = round % 2 === 0 ? ['this', 'baseline'] : ['baseline', 'this'];
      for (const side of order) {
        for (const e of ENCODINGS) {
          const r = await run(services[side], e);
          runs.set(`${side} ${e}`, [...(runs.get(`${side} ${e}`) ?? []), r]);
          console.log(
            `round ${round + 1} ${side.padEnd(8)} ${e.padEnd(6)} ${r.rowsPerSecond.toFixed(0).padStart(6)} rows/s ` +
              `${r.rowsPerCpuSecond.toFixed(0).padStart(6)} rows/CPU-s (${r.ofRaw.toFixed(2)} of raw) ` +
              `main thread ${r.mainThreadUsPerRequest.toFixed(0)} us/request, other threads ` +
              `${r.otherThreadsUsPerRequest.toFixed(0)}, batch ${r.batch.toFixed(1)}, ` +
              `${r.failures} not 200; load ${loadAverage()}`,
          );
        }
      }
    }
  } finally {
    await Promise.all(Object.values(services).map((s) => s.stop()));
  }
  console.log(
    '\n| checkout | encoding | rows/s | rows per CPU-second | of raw onnxruntime, per CPU-second (rounds) | main thread per request | other threads per request | mean batch |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [key, rs] of runs) {
    const m = (f: (r: Run) => number) => median(rs.map(f));
    const [side, e] = key.split(' ');
    console.log(
      `| ${side} | ${e} | ${m((r) => r.rowsPerSecond).toFixed(0)} | ${m((r) => r.rowsPerCpuSecond).toFixed(0)} | ` +
        `${m((r) => r.ofRaw).toFixed(2)} (${rs.map((r) => r.ofRaw.toFixed(2)).join(' ')}) | ` +
        `${m((r) => r.mainThreadUsPerRequest).toFixed(0)} us | ${m((r) => r.otherThreadsUsPerRequest).toFixed(0)} us | ` +
        `${m((r) => r.batch).toFixed(0)} |`,
    );
  }
  console.log(`load average after: ${loadAverage()}`);
}

runMain(main);
