/**
 * Where the main thread's busy time goes for the classifier (breast-cancer, one row, cache off)
 * at saturation: the service of a checkout (WORKERS=1, production guards) under `node --cpu-prof`
 * and 64 closed-loop connections. Prints the functions with the most self time, as a share of the
 * main thread's busy time (idle and start-up left out), and the busy µs per request.
 *
 *   npx tsx service/bench/classifier-profile.ts [--seconds 8] [--top 40] [--checkout <dir>] [--save <file>] [--hits]
 *
 * `--hits` sends one cacheable request over and over, so that every measured request is a
 * memory-tier cache hit.
 * `--save` keeps the profile (for Chrome DevTools' Performance panel).
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../test/support/service-process';
import { arg, numberArg } from './args';
import { startCheckoutService } from './bench-processes';
import { closedLoop, CONNECTIONS } from './closed-loop';
import { selfTimes } from './cpu-profile';
import { classifierBodyArg } from './requests';
import { runMain } from './run-main';
import { loadAverage } from './temp-service';

const { body: BODY, what: WHAT } = classifierBodyArg();
const SECONDS = numberArg('seconds', 8);
const TOP = numberArg('top', 40);
const CHECKOUT = path.resolve(arg('checkout', REPO_ROOT));
const SAVE = arg('save');

async function main(): Promise<void> {
  console.log(
    `# classifier profile (${WHAT}), ${CONNECTIONS} connections, ${SECONDS} s; load average ${loadAverage()}`,
  );
  console.log(`checkout: ${CHECKOUT}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'classifier-profile-'));
  try {
    const svc = await startCheckoutService(CHECKOUT, {}, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    let requests = 0;
    try {
      for (const seconds of [2, SECONDS])
        requests += (await closedLoop(svc.url, BODY, CONNECTIONS, seconds)).requests;
    } finally {
      await svc.stop();
    }
    // One file per thread; the main thread's is the first (thread index 0). It holds the warm-up too.
    const file = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort()[0];
    if (SAVE) copyFileSync(path.join(dir, file), SAVE);
    const { busyUs, byFunction } = selfTimes(path.join(dir, file));
    console.log(`${(busyUs / requests).toFixed(1)} us busy per request (${requests} requests)`);
    console.log('| self time | share | function |\n| --- | --- | --- |');
    for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
      console.log(`| ${(us / 1000).toFixed(0)} ms | ${((us / busyUs) * 100).toFixed(1)}% | ${name} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`load average after: ${loadAverage()}`);
}

runMain(main);
