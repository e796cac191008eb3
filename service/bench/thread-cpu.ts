/**
 * Where the service's CPU goes, thread by thread, per answered classifier request (breast-cancer
 * version 1, one row, cache off) under an open-loop offered load: the event loop, the onnxruntime
 * threads, V8's and libuv's helpers. hot-path-ab.ts reads the process's total, which on a shared
 * machine swings by more than the onnxruntime thread's whole share; each thread apart does not.
 * This checkout and `--baseline` take turns, each its own process (WORKERS=1, production guards).
 *
 *   npx tsx service/bench/thread-cpu.ts --baseline <other checkout> [--rounds 4] [--seconds 3] [--rate 3000]
 *
 * Prints per round and checkout the main thread and then the other threads busiest first, in µs
 * per request. Threads are all named `node`: the main thread is the process id; the worker threads
 * are the ones spawned last.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../test/support/service-process';
import { startCheckoutService } from './bench-processes';
import { numberArg, requiredArg } from './args';
import { openLoop } from './open-loop';
import { classifierBody } from './requests';
import { median } from './rounds';

const BASELINE = path.resolve(requiredArg('baseline'));
const ROUNDS = numberArg('rounds', 4);
const SECONDS = numberArg('seconds', 3);
const RATE = numberArg('rate', 3000);
const PATH = '/v2/models/breast-cancer/versions/1/infer';

/** Milliseconds on a CPU so far, per thread id. */
function threadCpuMs(pid: number): Map<string, number> {
  const ms = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ms.set(tid, Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6);
    } catch {
      // The thread exited between the listing and the read.
    }
  }
  return ms;
}

async function round(url: string, pid: number): Promise<{ main: number; others: number[] }> {
  const before = threadCpuMs(pid);
  const run = await openLoop({
    rate: RATE,
    seconds: SECONDS,
    origin: url,
    path: PATH,
    body: classifierBody,
    connections: 64,
  });
  const perRequestUs = (tid: string, ms: number) =>
    ((ms - (before.get(tid) ?? 0)) * 1000) / run.latenciesMs.length;
  const used = [...threadCpuMs(pid)].map(([tid, ms]) => [tid, perRequestUs(tid, ms)] as const);
  return {
    main: used.find(([tid]) => tid === String(pid))![1],
    others: used
      .filter(([tid]) => tid !== String(pid))
      .map(([, us]) => us)
      .sort((a, b) => b - a),
  };
}

async function main() {
  const services = {
    this: await startCheckoutService(REPO_ROOT),
    baseline: await startCheckoutService(BASELINE),
  };
  const rounds: Record<string, Awaited<ReturnType<typeof round>>[]> = { this: [], baseline: [] };
  try {
    for (const svc of Object.values(services)) await round(svc.url, svc.child.pid!); // warm-up
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? (['this', 'baseline'] as const) : (['baseline', 'this'] as const);
      for (const name of order) rounds[name].push(await round(services[name].url, services[name].child.pid!));
    }
  } finally {
    await Promise.all(Object.values(services).map((s) => s.stop()));
  }
  console.log(
    `# CPU per request by thread: ${ROUNDS} rounds x ${SECONDS} s at ${RATE} req/s, classifier, cache off`,
  );
  for (const [name, rs] of Object.entries(rounds)) {
    for (const r of rs)
      console.log(
        `${name.padEnd(9)} main ${r.main.toFixed(1)} us   others ${r.others
          .slice(0, 6)
          .map((u) => u.toFixed(1))
          .join(' ')}`,
      );
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    console.log(
      `${name.padEnd(9)} median: main ${median(rs.map((r) => r.main)).toFixed(1)} us, busiest other thread ` +
        `${median(rs.map((r) => r.others[0])).toFixed(1)} us, all others ${median(rs.map((r) => sum(r.others))).toFixed(1)} us`,
    );
  }
}

void main();
