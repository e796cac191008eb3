/**
 * Cost per loaded model: the service started on a repository of N copies of breast-cancer-lite (a
 * depth-2 tree, about 1 KiB of weights), for each N asked.
 *
 *   npx tsx service/bench/model-count.ts [--models 1,20,200] [--rounds 3] [--entry <main.ts>]
 *
 * Per round and N (rounds interleave the counts), a fresh service process: ready = spawn to the first 200 from /v2/health/ready;
 * CPU = the CPU time its threads used until then (./process-cpu), which the shared machine's load
 * moves far less than the wall time; RSS and threads = VmRSS and Threads of its /proc/<pid>/status
 * one idle second later. Prints the median of the rounds per N and the cost of one more model
 * between the smallest and the largest N. `--entry` runs another checkout's
 * service/src/main.ts, for a before/after comparison.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { processCpuMs } from './process-cpu';
import { loadAverage, withTempService } from './temp-service';
import { percentile } from '../../test/support/load';
import { BUNDLED_MODELS } from '../../test/support/model-repo';
import { arg } from './args';

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

function sample(models: number): Promise<Sample> {
  const copies = Array.from({ length: models }, (_, i) => ({
    name: `bcl-${String(i).padStart(3, '0')}`,
    from: path.join(BUNDLED_MODELS, 'breast-cancer-lite'),
  }));
  const entry = ENTRY ? ['-r', 'tsx/cjs', path.resolve(ENTRY)] : undefined;
  return withTempService(
    copies,
    async (svc, readySeconds) => {
      const cpuSeconds = processCpuMs(svc.child.pid!) / 1000;
      await new Promise((r) => setTimeout(r, 1000));
      return { readySeconds, cpuSeconds, ...procStatus(svc.child.pid!) };
    },
    entry,
  );
}

const median = (xs: number[]) => percentile(xs, 50);

async function main(): Promise<void> {
  console.log(`load average before: ${loadAverage()}`);
  // Rounds interleave the counts, so that the shared machine's drift hits every count alike.
  const samples = new Map<number, Sample[]>(COUNTS.map((n) => [n, []]));
  for (let r = 1; r <= ROUNDS; r++) {
    for (const models of COUNTS) {
      const s = await sample(models);
      samples.get(models)!.push(s);
      console.log(
        `  round ${r}, ${models} models: ready ${s.readySeconds.toFixed(2)} s ` +
          `(CPU ${s.cpuSeconds.toFixed(2)} s), RSS ${s.rssMiB.toFixed(0)} MiB, ${s.threads} threads`,
      );
    }
  }
  const rows = COUNTS.map((models) => {
    const of = (f: (s: Sample) => number) => median(samples.get(models)!.map(f));
    return {
      models,
      readySeconds: of((s) => s.readySeconds),
      cpuSeconds: of((s) => s.cpuSeconds),
      rssMiB: of((s) => s.rssMiB),
      threads: of((s) => s.threads),
    };
  });
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
  console.log(`load average after: ${loadAverage()}`);
}

void main();
