/**
 * How many promises (and other async resources: Immediates, ticks, timers) the service creates per
 * request for the classifier (breast-cancer, one row, cache off, WORKERS=1, production guards), by
 * type, for this checkout and optionally another: each service runs under 64 closed-loop connections
 * with `async-counter.ts` preloaded, counting between two signals. Exact counts, unlike the CPU
 * benches, so one short run of each tree is enough; a batch's resources are shared by its requests,
 * so a count per request moves a little with the batch sizes the load forms.
 *
 *   npx tsx service/bench/classifier-promises.ts [--seconds 3] [--baseline <other checkout>]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../test/support/service-process';
import { arg, numberArg } from './args';
import { startCheckoutService } from './bench-processes';
import { closedLoop, CONNECTIONS } from './closed-loop';
import { classifierBody } from './requests';
import { runMain } from './run-main';
import { signalledWindow } from './signalled-window';
import { loadAverage } from './temp-service';

const SECONDS = numberArg('seconds', 3);
const BASELINE = arg('baseline');

async function countsPerRequest(checkout: string): Promise<Record<string, number>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'classifier-promises-'));
  const file = path.join(dir, 'counts.json');
  try {
    const svc = await startCheckoutService(checkout, { ASYNC_COUNTER_FILE: file }, [
      '-r',
      'tsx/cjs',
      '-r',
      path.join(__dirname, 'async-counter.ts'),
    ]);
    try {
      await closedLoop(svc.url, classifierBody, CONNECTIONS, 1);
      const { requests, text } = await signalledWindow(svc, file, SECONDS);
      const counts = JSON.parse(text) as Record<string, number>;
      return Object.fromEntries(Object.entries(counts).map(([type, n]) => [type, n / requests]));
    } finally {
      await svc.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(
    `# async resources per classifier request, ${CONNECTIONS} connections, ${SECONDS} s; load average ${loadAverage()}`,
  );
  const trees: Record<string, string> = { this: REPO_ROOT };
  if (BASELINE) trees.baseline = path.resolve(BASELINE);
  const results: Record<string, Record<string, number>> = {};
  for (const [name, root] of Object.entries(trees)) results[name] = await countsPerRequest(root);
  const names = Object.keys(trees);
  const types = [...new Set(names.flatMap((n) => Object.keys(results[n])))].sort(
    (a, b) => (results.this[b] ?? 0) - (results.this[a] ?? 0),
  );
  console.log(`| type | ${names.join(' | ')} |\n| --- |${names.map(() => ' --- |').join('')}`);
  for (const type of types)
    console.log(`| ${type} | ${names.map((n) => (results[n][type] ?? 0).toFixed(2)).join(' | ')} |`);
  console.log(`load average after: ${loadAverage()}`);
}

runMain(main);
