/**
 * What the service allocates per request for the classifier (breast-cancer, one row, cache off) at
 * saturation: the service of a checkout (WORKERS=1, production guards) under 64 closed-loop
 * connections. Two windows after a warm-up:
 *   1. no profiler: minor and major GCs and their pause time per 10k requests, from the service's
 *      own GC histogram;
 *   2. V8's sampling heap profiler (`heap-sampler.ts`, collected objects included): estimated bytes
 *      and objects per request, in all and by site — the allocating function, and the innermost
 *      frame of the service's own source (`service/src`) that led to it.
 *
 *   npx tsx service/bench/classifier-allocations.ts [--seconds 5] [--top 25] [--interval 256] [--checkout <dir>] [--node-flag <flag>] [--hits]
 *
 * `--hits`: memory-tier cache hits instead of model runs, as in classifier-profile.ts.
 * `--node-flag` passes one V8/node flag to the service, say `--max-semi-space-size=64`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../test/support/service-process';
import { allocationSites, type HeapProfile, type SiteTotal } from './allocation-sites';
import { arg, numberArg } from './args';
import { startCheckoutService } from './bench-processes';
import { closedLoop, CONNECTIONS } from './closed-loop';
import { gcPausesBetween } from './gc-pauses';
import { classifierBodyArg } from './requests';
import { runMain } from './run-main';
import { signalledWindow } from './signalled-window';
import { loadAverage } from './temp-service';

const { body: BODY, what: WHAT } = classifierBodyArg();
const SECONDS = numberArg('seconds', 5);
const TOP = numberArg('top', 25);
const INTERVAL = numberArg('interval', 256);
const CHECKOUT = path.resolve(arg('checkout', REPO_ROOT));
const NODE_FLAG = arg('node-flag');

const metrics = async (url: string) => (await fetch(`${url}/metrics`)).text();

function printSites(title: string, sites: SiteTotal[], requests: number): void {
  console.log(`\n${title}\n| bytes/request | objects/request | site |\n| --- | --- | --- |`);
  for (const s of sites.slice(0, TOP))
    console.log(`| ${(s.bytes / requests).toFixed(0)} | ${(s.objects / requests).toFixed(2)} | ${s.site} |`);
}

async function main(): Promise<void> {
  console.log(
    `# classifier allocations (${WHAT}), ${CONNECTIONS} connections, ${SECONDS} s per window; load average ${loadAverage()}`,
  );
  console.log(`checkout: ${CHECKOUT}${NODE_FLAG ? `, node ${NODE_FLAG}` : ''}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'classifier-allocations-'));
  const file = path.join(dir, 'service.heapprofile');
  try {
    const svc = await startCheckoutService(
      CHECKOUT,
      { HEAP_SAMPLER_FILE: file, HEAP_SAMPLER_INTERVAL: String(INTERVAL) },
      [...(NODE_FLAG ? [NODE_FLAG] : []), '-r', 'tsx/cjs', '-r', path.join(__dirname, 'heap-sampler.ts')],
    );
    try {
      await closedLoop(svc.url, BODY, CONNECTIONS, 2);
      const before = await metrics(svc.url);
      const plain = await closedLoop(svc.url, BODY, CONNECTIONS, SECONDS);
      const gcs = gcPausesBetween(before, await metrics(svc.url));
      const per10k = (kind: string) => {
        const g = gcs.find((p) => p.kind === kind);
        const scale = 10_000 / plain.requests;
        return `${((g?.count ?? 0) * scale).toFixed(1)} (${((g?.totalMs ?? 0) * scale).toFixed(1)} ms)`;
      };
      console.log(
        `without the profiler: ${plain.rps.toFixed(0)} req/s, ${plain.requests} requests; ` +
          `GCs (pause time) per 10k requests: minor ${per10k('minor')}, major ${per10k('major')}`,
      );

      const sampled = await signalledWindow(svc, file, SECONDS, BODY);
      const profile = JSON.parse(sampled.text) as HeapProfile;
      const sites = allocationSites(profile, INTERVAL);
      const sum = (key: 'bytes' | 'objects') => sites.reduce((t, s) => t + s[key], 0);
      console.log(
        `with the profiler: ${sampled.requests} requests; per request ${(sum('bytes') / sampled.requests).toFixed(0)} bytes, ` +
          `${(sum('objects') / sampled.requests).toFixed(1)} objects (${profile.samples.length} samples, interval ${INTERVAL} B)`,
      );
      printSites('## by allocating function', sites, sampled.requests);
      const own = (url: string) => url.includes('/service/src/');
      printSites(
        '## by the innermost frame in service/src',
        allocationSites(profile, INTERVAL, own),
        sampled.requests,
      );
    } finally {
      await svc.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`load average after: ${loadAverage()}`);
}

runMain(main);
