/**
 * Garbage collections of every isolate in the service under 32-row heavy-mlp requests, this
 * checkout against another (say, main before a change), JSON and binary-extension bodies, in
 * rotating order. Each run starts the service under `node --trace-gc` (WORKERS=1, the checkout's
 * bundled models), drives 16 connections for `--warmup` seconds uncounted, then `--seconds`
 * counted, and sorts the collections printed meanwhile by isolate (the main thread's, or one of the
 * onnxruntime worker threads'), kind and reason, per 10k requests, with their pause per request.
 * The main isolate is the one with the largest heap: the worker threads hold their sessions'
 * bindings and little else (5 to 10 MB against 30 MB or more).
 *
 *   npx tsx service/bench/gc-isolates.ts --baseline <other checkout> [--rounds 3] [--warmup 8]
 *                                        [--seconds 15] [--rows 32] [--connections 16]
 */
import path from 'node:path';
import {
  REPO_ROOT,
  startServiceProcess,
  waitReady,
  type ServiceProcess,
} from '../../test/support/service-process';
import { numberArg, requiredArg } from './args';
import { closedLoop } from './closed-loop';
import { heavyRequest } from './requests';
import { median } from './rounds';
import { runMain } from './run-main';
import { loadAverage } from './temp-service';

const BASELINE = path.resolve(requiredArg('baseline'));
const ROUNDS = numberArg('rounds', 3);
const WARMUP = numberArg('warmup', 8);
const SECONDS = numberArg('seconds', 15);
const ROWS = numberArg('rows', 32);
const CONNECTIONS = numberArg('connections', 16);
const PATH = '/v2/models/heavy-mlp/versions/1/infer';
const ENCODINGS = ['json', 'binary'] as const;

/** `[pid:isolate]  1234 ms: Mark-Compact (reduce) 5.5 (8.0) -> ... MB, 31.67 / 0.01 ms ... reason;` */
const LINE =
  /^\[\d+:(0x[0-9a-f]+)\]\s+[\d.]+ ms: ([A-Za-z-]+(?: \(reduce\))?) [\d.]+ .*?([\d.]+) \/ [\d.]+ ms .*\) ([^;]*);?/;

/** Per "thread: kind, reason": collections per 10k requests and pause per request (µs). */
type Tally = Map<string, { per10k: number; pauseUs: number }>;

export function tallyTrace(lines: readonly string[], requests: number, mainIsolate: string): Tally {
  const sums = new Map<string, { count: number; ms: number }>();
  for (const line of lines) {
    const m = LINE.exec(line);
    if (!m) continue;
    const key = `${m[1] === mainIsolate ? 'main' : 'onnxruntime threads'}: ${m[2]}, ${m[4].trim()}`;
    const s = sums.get(key) ?? { count: 0, ms: 0 };
    s.count++;
    s.ms += Number(m[3]);
    sums.set(key, s);
  }
  const out: Tally = new Map();
  for (const [key, s] of sums)
    out.set(key, { per10k: (s.count * 10_000) / requests, pauseUs: (s.ms * 1000) / requests });
  return out;
}

/** The isolate whose heap was largest before any of its collections (see the header). */
export function largestIsolate(lines: readonly string[]): string {
  const largest = new Map<string, number>();
  for (const line of lines) {
    const m = /^\[\d+:(0x[0-9a-f]+)\]\s+[\d.]+ ms: [A-Za-z() -]+?([\d.]+) \([\d.]+\) ->/.exec(line);
    if (m) largest.set(m[1], Math.max(largest.get(m[1]) ?? 0, Number(m[2])));
  }
  return [...largest].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
}

async function traced(checkout: string, encoding: string): Promise<Tally> {
  const env = { WORKERS: '1', MODEL_REPOSITORY: path.join(checkout, 'models') };
  const main = path.join(checkout, 'service', 'src', 'main.ts');
  const svc: ServiceProcess = await startServiceProcess(env, 60_000, ['--trace-gc', '-r', 'tsx/cjs', main]);
  const all: string[] = [];
  let counted: string[] | undefined;
  svc.child.stdout!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) {
      if (!line.startsWith('[')) continue;
      all.push(line);
      counted?.push(line);
    }
  });
  try {
    await waitReady(svc, 120_000);
    const { payload, headers } = heavyRequest(encoding, ROWS);
    await closedLoop(svc.url, payload, CONNECTIONS, WARMUP, headers, PATH);
    const lines: string[] = (counted = []);
    const run = await closedLoop(svc.url, payload, CONNECTIONS, SECONDS, headers, PATH);
    counted = undefined;
    return tallyTrace(lines, run.requests, largestIsolate(all));
  } finally {
    await svc.stop();
  }
}

async function main(): Promise<void> {
  console.log(
    `# heavy-mlp, ${ROWS} rows per request, ${CONNECTIONS} connections, ${WARMUP} s warm-up + ` +
      `${SECONDS} s counted, ${ROUNDS} rounds; load average ${loadAverage()}`,
  );
  console.log(`baseline: ${BASELINE}`);
  const sides = [
    ['this', REPO_ROOT],
    ['baseline', BASELINE],
  ] as const;
  const runs = new Map<string, Tally[]>();
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const [side, checkout] of order) {
      for (const encoding of ENCODINGS) {
        const tally = await traced(checkout, encoding);
        const key = `${side} ${encoding}`;
        runs.set(key, [...(runs.get(key) ?? []), tally]);
        const parts = [...tally].map(([k, v]) => `${k} ${v.per10k.toFixed(1)} (${v.pauseUs.toFixed(0)} us)`);
        console.log(`round ${round + 1} ${key.padEnd(15)} ${parts.join('; ')}; load ${loadAverage()}`);
      }
    }
  }
  console.log(
    '\n| side, encoding | thread: kind, reason | per 10k requests, median (rounds) | pause per request, median |',
  );
  console.log('| --- | --- | --- | --- |');
  for (const [key, tallies] of runs) {
    const kinds = new Set(tallies.flatMap((t) => [...t.keys()]));
    for (const kind of [...kinds].sort()) {
      const per10k = tallies.map((t) => t.get(kind)?.per10k ?? 0);
      const pause = tallies.map((t) => t.get(kind)?.pauseUs ?? 0);
      console.log(
        `| ${key} | ${kind} | ${median(per10k).toFixed(1)} (${per10k.map((x) => x.toFixed(1)).join(' ')}) | ` +
          `${median(pause).toFixed(0)} us |`,
      );
    }
  }
  console.log(`load average after: ${loadAverage()}`);
}

runMain(main);
