/**
 * Cost per loaded model: the service started on a repository of N copies of breast-cancer-lite (a
 * depth-2 tree, about 1 KiB of weights), for each N asked.
 *
 *   npx tsx service/bench/model-count.ts [--models 1,20,200] [--rounds 3] [--entry <main.ts>]
 *
 * Per N and round, a fresh service process: ready = spawn to the first 200 from /v2/health/ready;
 * CPU = the CPU time its threads used until then (./process-cpu), which the shared machine's load
 * moves far less than the wall time; RSS and threads = VmRSS and Threads of its /proc/<pid>/status
 * one idle second later. Prints the median of the rounds per N and the cost of one more model
 * between the smallest and the largest N. `--entry` runs another checkout's
 * service/src/main.ts, for a before/after comparison.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { processCpuMs } from './process-cpu';
import { BUNDLED_MODELS, makeModelRepo } from '../../test/support/model-repo';
import { startServiceProcess, waitReady } from '../../test/support/service-process';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const COUNTS = arg('models', '1,20,200').split(',').map(Number);
const ROUNDS = Number(arg('rounds', '3'));
const ENTRY = arg('entry', '');

interface Sample {
  readySeconds: number;
  cpuSeconds: number;
  rssMiB: number;
  threads: number;
}

function procStatus(pid: number): { rssMiB: number; threads: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)![1]);
  return { rssMiB: field('VmRSS') / 1024, threads: field('Threads') };
}

async function sample(models: number): Promise<Sample> {
  const repo = makeModelRepo(
    Array.from({ length: models }, (_, i) => ({
      name: `bcl-${String(i).padStart(3, '0')}`,
      from: path.join(BUNDLED_MODELS, 'breast-cancer-lite'),
    })),
  );
  const started = performance.now();
  const svc = await startServiceProcess(
    { MODEL_REPOSITORY: repo.path },
    120_000,
    ENTRY ? ['-r', 'tsx/cjs', path.resolve(ENTRY)] : undefined,
  );
  try {
    await waitReady(svc, 300_000);
    const readySeconds = (performance.now() - started) / 1000;
    const cpuSeconds = processCpuMs(svc.child.pid!) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    return { readySeconds, cpuSeconds, ...procStatus(svc.child.pid!) };
  } finally {
    await svc.stop();
    repo.cleanup();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  console.log(
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const rows: (Sample & { models: number })[] = [];
  for (const models of COUNTS) {
    const samples: Sample[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const s = await sample(models);
      samples.push(s);
      console.log(
        `  ${models} models, round ${r + 1}: ready ${s.readySeconds.toFixed(2)} s ` +
          `(CPU ${s.cpuSeconds.toFixed(2)} s), ` +
          `RSS ${s.rssMiB.toFixed(0)} MiB, ${s.threads} threads`,
      );
    }
    rows.push({
      models,
      readySeconds: median(samples.map((s) => s.readySeconds)),
      cpuSeconds: median(samples.map((s) => s.cpuSeconds)),
      rssMiB: median(samples.map((s) => s.rssMiB)),
      threads: median(samples.map((s) => s.threads)),
    });
  }
  console.log('\n| models | ready | CPU to ready | RSS | threads |\n| --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.models} | ${r.readySeconds.toFixed(2)} s | ${r.cpuSeconds.toFixed(2)} s | ${r.rssMiB.toFixed(0)} MiB | ${r.threads} |`,
    );
  }
  const [first, last] = [rows[0], rows[rows.length - 1]];
  const extra = last.models - first.models;
  if (extra > 0) {
    console.log(
      `\nper model beyond the first ${first.models}: ` +
        `${((1000 * (last.readySeconds - first.readySeconds)) / extra).toFixed(1)} ms ready, ` +
        `${((1000 * (last.cpuSeconds - first.cpuSeconds)) / extra).toFixed(1)} ms CPU, ` +
        `${((last.rssMiB - first.rssMiB) / extra).toFixed(2)} MiB RSS, ` +
        `${((last.threads - first.threads) / extra).toFixed(2)} threads`,
    );
  }
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

void main();
