import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { BUNDLED_MODELS, makeModelRepo } from '../../test/support/model-repo';
import { scrapeMetric } from '../../test/support/load';
import { startServiceProcess, waitReady } from '../../test/support/service-process';
import { MAIN, REPO_ROOT } from './http-support';

/**
 * The in-process prediction cache keeps to CACHE_MEMORY_BYTES in resident memory, not only in its
 * own count: a real service process takes a stream of distinct requests that fills the cache
 * several times over, and its RSS is compared with the same stream through a process whose cache
 * is off. Each process is measured after a full garbage collection (test/support/gc-on-signal.js),
 * so that the comparison is of what each holds, not of where each is in its collection cycle; the
 * peak RSS is printed too.
 */
const BOUND = 8 * 1024 * 1024;
/**
 * What is live after the collection (heap in use plus external memory) must stay within the bound
 * itself. RSS must stay within the bound plus this: heap pages the collection emptied but V8 keeps
 * committed, which varied from 4 to 56 MiB between identical runs. Before entries were counted at
 * their real cost, the same stream left 32 MiB more live and 74-117 MiB more RSS.
 */
const OVERHEAD = 64 * 1024 * 1024;
const REQUESTS = 60_000;
const CONCURRENCY = 32;

/** `count` distinct breast-cancer-lite rows over keep-alive connections, as fast as they are answered. */
async function stream(url: string, count: number): Promise<{ seconds: number; failed: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const row = Array.from({ length: 30 }, (_, j) => (j + 1) * 0.5);
  let next = 0;
  let failed = 0;
  const started = performance.now();
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      row[0] = i;
      const body = JSON.stringify({
        inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: row }],
      });
      const req = http.request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          if (res.statusCode !== 200) failed++;
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await one(next++);
    }),
  );
  agent.destroy();
  return { seconds: (performance.now() - started) / 1000, failed };
}

const GC_ON_SIGNAL = join(REPO_ROOT, 'test', 'support', 'gc-on-signal.js');

/** A memory figure of /proc/<pid>/status (VmRSS, VmHWM: peak RSS), in bytes. */
function statusBytes(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

async function residentAfterStream(cacheBytes: number) {
  const repo = makeModelRepo([
    {
      name: 'breast-cancer-lite',
      from: join(BUNDLED_MODELS, 'breast-cancer-lite'),
      config: { cache: { enabled: true, ttl_seconds: 3600 } },
    },
  ]);
  const svc = await startServiceProcess(
    { MODEL_REPOSITORY: repo.path, CACHE_MEMORY_BYTES: String(cacheBytes) },
    30_000,
    ['--expose-gc', '-r', GC_ON_SIGNAL, '-r', 'tsx/cjs', MAIN],
  );
  try {
    await waitReady(svc, 60_000);
    const run = await stream(`${svc.url}/v2/models/breast-cancer-lite/infer`, REQUESTS);
    const peak = statusBytes(svc.child.pid!, 'VmHWM');
    const done = svc.lines.length;
    svc.child.kill('SIGUSR2');
    while (!svc.lines.slice(done).some((l) => l.includes('gc done')))
      await new Promise((r) => setTimeout(r, 20));
    const rss = statusBytes(svc.child.pid!, 'VmRSS');
    const cached = (await scrapeMetric(svc.url, 'prediction_cache_memory_bytes')) ?? 0;
    const hits = (await scrapeMetric(svc.url, 'prediction_cache_hits_total', { tier: 'memory' })) ?? 0;
    const heapUsed = (await scrapeMetric(svc.url, 'nodejs_heap_size_used_bytes'))!;
    const heapTotal = (await scrapeMetric(svc.url, 'nodejs_heap_size_total_bytes'))!;
    const external = (await scrapeMetric(svc.url, 'nodejs_external_memory_bytes'))!;
    return { ...run, rss, peak, cached, hits, heapUsed, heapTotal, live: heapUsed + external };
  } finally {
    await svc.stop('SIGKILL');
    repo.cleanup();
  }
}

const MiB = (n: number) => (n / 1024 / 1024).toFixed(1);

describe('prediction cache memory bound (real service processes)', () => {
  it(`keeps RSS within CACHE_MEMORY_BYTES (${MiB(BOUND)} MiB) plus ${MiB(OVERHEAD)} MiB of a cache-off run`, async () => {
    const off = await residentAfterStream(0);
    const on = await residentAfterStream(BOUND);
    process.stdout.write(
      `cache memory bound: ${REQUESTS} distinct requests, concurrency ${CONCURRENCY}\n` +
        `  cache off:        RSS ${MiB(off.rss)} MiB (${(REQUESTS / off.seconds).toFixed(0)} req/s), ` +
        `heap ${MiB(off.heapUsed)} used of ${MiB(off.heapTotal)} MiB; peak ${MiB(off.peak)}\n` +
        `  cache ${MiB(BOUND)} MiB:   RSS ${MiB(on.rss)} MiB (${(REQUESTS / on.seconds).toFixed(0)} req/s), ` +
        `heap ${MiB(on.heapUsed)} used of ${MiB(on.heapTotal)} MiB; peak ${MiB(on.peak)}; ` +
        `counted ${MiB(on.cached)} MiB, hits ${on.hits}\n` +
        `  difference:       RSS ${MiB(on.rss - off.rss)} MiB (allowed ${MiB(BOUND + OVERHEAD)}), ` +
        `live ${MiB(on.live - off.live)} MiB (allowed ${MiB(BOUND)})\n`,
    );
    expect(off.failed + on.failed).toBe(0);
    // The stream filled the cache: it counted close to its bound and evicted (no request repeated).
    expect(on.cached).toBeGreaterThan(BOUND * 0.9);
    expect(on.cached).toBeLessThanOrEqual(BOUND);
    expect(on.live - off.live).toBeLessThanOrEqual(BOUND);
    expect(on.rss - off.rss).toBeLessThanOrEqual(BOUND + OVERHEAD);
  }, 300_000);
});
