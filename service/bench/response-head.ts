/**
 * What writing a response's headers costs the main thread, per request: response-head-server.ts
 * answering with four setHeader calls and writeHead's object form, against the same six headers in
 * writeHead's array form (http/pending-headers.ts). Both servers stay up and take turns in short
 * rounds of 64 closed-loop connections, and each round reads the server's main-thread CPU per
 * answered request, which the machine's other load moves less than throughput.
 *
 *   npx tsx service/bench/response-head.ts [--rounds 8] [--seconds 3] [--variants set-header,array]
 *
 * `--variants json-buffer,json-string` compares a JSON body encoded per request as a Buffer with
 * one encoded as a string (response-head-server.ts); the second variant's saving is printed.
 */
import { arg, numberArg } from './args';
import { startBenchServer, type BenchServer } from './bench-server';
import { CONNECTIONS, closedLoop } from './closed-loop';
import { mainThreadCpuMs } from './process-cpu';
import { classifierBody } from './requests';
import { median } from './rounds';
import { runMain } from './run-main';
import { loadAverage } from './temp-service';

const ROUNDS = numberArg('rounds', 8);
const SECONDS = numberArg('seconds', 3);
const VARIANTS = arg('variants', 'set-header,array').split(',');
if (VARIANTS.length !== 2) throw new Error('--variants names two variants');

async function usPerRequest(server: BenchServer): Promise<number> {
  const before = mainThreadCpuMs(server.pid);
  const run = await closedLoop(server.url, classifierBody, CONNECTIONS, SECONDS, {}, '/');
  if (run.failures > 0) throw new Error(`${run.failures} requests failed`);
  return ((mainThreadCpuMs(server.pid) - before) * 1000) / run.requests;
}

async function main(): Promise<void> {
  console.log(
    `# response head: ${ROUNDS} rounds x ${SECONDS} s, ${CONNECTIONS} connections; load average ${loadAverage()}`,
  );
  const servers = await Promise.all(VARIANTS.map((v) => startBenchServer('response-head-server.ts', [v])));
  try {
    for (const s of servers) await closedLoop(s.url, classifierBody, CONNECTIONS, 1, {}, '/');
    const rounds: number[][] = VARIANTS.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < servers.length; i++) rounds[i].push(await usPerRequest(servers[i]));
    }
    VARIANTS.forEach((v, i) =>
      console.log(
        `${v.padEnd(10)} main thread ${median(rounds[i]).toFixed(2)} us/request (rounds: ${rounds[i].map((x) => x.toFixed(1)).join(' ')})`,
      ),
    );
    const saved = rounds[1].map((x, r) => rounds[0][r] - x);
    console.log(
      `${VARIANTS[1]} saves ${median(saved).toFixed(2)} us/request (median of per-round differences)`,
    );
  } finally {
    for (const s of servers) s.stop();
  }
  console.log(`load average after: ${loadAverage()}`);
}

runMain(main);
