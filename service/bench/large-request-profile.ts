/**
 * Where the main thread's CPU goes for one multi-row heavy-mlp request, as JSON or in the binary
 * tensor extension. The service (WORKERS=1, bundled models) runs twice under the same closed loop:
 * once plain, for the main thread's CPU per request from /proc, and once under `node --cpu-prof`,
 * whose samples split that CPU by what the main thread was doing (start-up excluded). The
 * profiler's own cost is spread in proportion, so the split is an estimate; the total is measured.
 *
 *   npx tsx service/bench/large-request-profile.ts [--encoding json|binary] [--seconds 8] [--rows 32]
 *                                                  [--connections 16] [--checkout <dir>]
 *
 * `--checkout` profiles another checkout of the repository (say, main before a change).
 *
 * A third run under `node --trace-gc` counts the main thread's collections by kind and reason, per
 * thousand requests, with their pauses per request: a large body's buffers are external memory,
 * whose growth alone triggers scavenges ("external memory pressure").
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  REPO_ROOT,
  startServiceProcess,
  waitReady,
  type ServiceProcess,
} from '../../test/support/service-process';
import { arg, numberArg } from './args';
import { closedLoop } from './closed-loop';
import { readCpuProfile } from './cpu-profile';
import { mainThreadCpuMs } from './process-cpu';
import { heavyRequest } from './requests';
import { runMain } from './run-main';
import { loadAverage } from './temp-service';

const ENCODING = arg('encoding', 'json');
const SECONDS = numberArg('seconds', 8);
const ROWS = numberArg('rows', 32);
const CONNECTIONS = numberArg('connections', 16);
const PATH = '/v2/models/heavy-mlp/versions/1/infer';
const CHECKOUT = path.resolve(arg('checkout', REPO_ROOT));

/** What a sample's innermost frame (or the nearest caller that names one) counts towards. */
const CATEGORIES: [string, RegExp][] = [
  ['numeric-array scan', /json-numeric-data\.ts$|json-numbers-wasm\.ts$/],
  ['JSON.parse of the rest', /^parseJson /],
  ['body read (data events, Buffer.concat)', /read-body\.ts$|^_copyActual |^concat /],
  ['garbage collection', /^\(garbage collector\)/],
  ['validation', /validate-request\.ts$/],
  ['copy into the batch tensor', /tensor-batch\.ts$/],
  ['response encoding and writev', /infer-response\.ts$|^writev |^writeString |^writeUtf8String /],
  ['hand-off to onnxruntime (postMessage)', /^postMessage /],
];
const ELSE = 'everything else';

/** Main-thread µs per category over the profile, start-up (module loading) left out. */
function splitProfile(file: string): Map<string, number> {
  const profile = readCpuProfile(file);
  const split = new Map<string, number>();
  for (const [id, us] of profile.selfUs) {
    const hit = profile
      .chain(id)
      .map((l) => CATEGORIES.find(([, re]) => re.test(l)))
      .find((c) => c !== undefined);
    const name = hit?.[0] ?? ELSE;
    split.set(name, (split.get(name) ?? 0) + us);
  }
  return split;
}

/**
 * The main isolate's `--trace-gc` lines by kind and reason. Each thread's isolate prints under its
 * own address; the main thread's is the one that collects most under this load.
 */
function gcSummary(lines: string[], requests: number): string[] {
  const byIsolate = new Map<string, number>();
  for (const l of lines) {
    const a = /^\[\d+:(0x[0-9a-f]+)\]/.exec(l)?.[1];
    if (a) byIsolate.set(a, (byIsolate.get(a) ?? 0) + 1);
  }
  const isolate = [...byIsolate].sort((a, b) => b[1] - a[1])[0]?.[0];
  const kinds = new Map<string, { count: number; ms: number }>();
  for (const line of lines) {
    const m =
      /^\[\d+:(0x[0-9a-f]+)\]\s+[\d.]+ ms: ([A-Za-z -]+(?: \(reduce\))?) [\d.]+ .*?([\d.]+) \/ [\d.]+ ms .*\) ([^;]*);?/.exec(
        line,
      );
    if (!m || m[1] !== isolate) continue;
    const key = `${m[2]}, ${m[4].trim()}`;
    const k = kinds.get(key) ?? { count: 0, ms: 0 };
    k.count++;
    k.ms += Number(m[3]);
    kinds.set(key, k);
  }
  return [...kinds].map(
    ([key, k]) =>
      `| ${key} | ${((k.count * 1000) / requests).toFixed(1)} | ${((k.ms * 1000) / requests).toFixed(1)} us |`,
  );
}

async function loadRun(svc: ServiceProcess): Promise<{ requests: number; mainUs: number }> {
  const { payload, headers } = heavyRequest(ENCODING, ROWS);
  const drive = (seconds: number) => closedLoop(svc.url, payload, CONNECTIONS, seconds, headers, PATH);
  const warm = await drive(2);
  const before = mainThreadCpuMs(svc.child.pid!);
  const run = await drive(SECONDS);
  const mainUs = ((mainThreadCpuMs(svc.child.pid!) - before) * 1000) / run.requests;
  return { requests: warm.requests + run.requests, mainUs };
}

async function service(nodeArgs: string[]): Promise<ServiceProcess> {
  const env = { WORKERS: '1', MODEL_REPOSITORY: path.join(CHECKOUT, 'models') };
  const svc = await startServiceProcess(env, 60_000, [
    ...nodeArgs,
    '-r',
    'tsx/cjs',
    path.join(CHECKOUT, 'service', 'src', 'main.ts'),
  ]);
  await waitReady(svc, 120_000);
  return svc;
}

async function main(): Promise<void> {
  heavyRequest(ENCODING, 1); // refuses an unknown --encoding before anything starts
  console.log(
    `# heavy-mlp, ${ROWS} rows per request as ${ENCODING}, ${CONNECTIONS} connections, ${SECONDS} s; ` +
      `load average ${loadAverage()}`,
  );
  console.log(`checkout: ${CHECKOUT}`);
  const plain = await service([]);
  const measured = await loadRun(plain).finally(() => plain.stop());

  const dir = mkdtempSync(path.join(tmpdir(), 'large-request-profile-'));
  try {
    const profiled = await service(['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    const { requests } = await loadRun(profiled).finally(() => profiled.stop());
    // One file per thread; the main thread's is the first (thread index 0).
    const file = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort()[0];
    const split = splitProfile(path.join(dir, file));
    const busy = [...split.values()].reduce((a, b) => a + b, 0);
    console.log(`main thread, measured without the profiler: ${measured.mainUs.toFixed(0)} us per request`);
    console.log('| main thread, per request | share of busy time | estimate |\n| --- | --- | --- |');
    for (const name of [...CATEGORIES.map(([n]) => n), ELSE]) {
      const share = (split.get(name) ?? 0) / busy;
      console.log(`| ${name} | ${(share * 100).toFixed(1)}% | ${(share * measured.mainUs).toFixed(0)} us |`);
    }
    console.log(`(profiled run: ${requests} requests, ${(busy / requests).toFixed(0)} us busy per request)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const traced = await service(['--trace-gc']);
  const lines: string[] = [];
  let started = false;
  traced.child.stdout!.on('data', (d: Buffer) => {
    if (started)
      lines.push(
        ...d
          .toString()
          .split('\n')
          .filter((l) => l.startsWith('[')),
      );
  });
  const { payload, headers } = heavyRequest(ENCODING, ROWS);
  const run = await (async () => {
    await closedLoop(traced.url, payload, CONNECTIONS, 2, headers, PATH);
    started = true;
    return closedLoop(traced.url, payload, CONNECTIONS, SECONDS, headers, PATH);
  })().finally(() => traced.stop());
  console.log(
    '| main-thread collection (--trace-gc), kind and reason | per 1000 requests | pause per request |',
  );
  console.log('| --- | --- | --- |');
  for (const row of gcSummary(lines, run.requests)) console.log(row);
  console.log(`load average after: ${loadAverage()}`);
}

runMain(main);
