import http from 'node:http';
import { join } from 'node:path';
import { BUNDLED_MODELS, makeModelRepo } from '../../test/support/model-repo';
import { scrapeMetric } from '../../test/support/load';
import { startServiceProcess, waitReady } from '../../test/support/service-process';

/**
 * The in-process prediction cache keeps to CACHE_MEMORY_BYTES in resident memory, not only in its
 * own count: a real service process takes a stream of distinct requests that fills the cache
 * several times over, and its RSS is compared with the same stream through a process whose cache
 * is off.
 */
const BOUND = 8 * 1024 * 1024;
/**
 * Allowed on top of the bound: entries the cache evicted wait in V8's old generation for the next
 * major collection (the heap in use grows by about 30 MiB during the stream), plus run-to-run noise.
 * Before entries were counted at their real cost, the same stream added about 86 MiB.
 */
const OVERHEAD = 32 * 1024 * 1024;
const REQUESTS = 80_000;
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

async function residentAfterStream(cacheBytes: number) {
  const repo = makeModelRepo([
    {
      name: 'breast-cancer-lite',
      from: join(BUNDLED_MODELS, 'breast-cancer-lite'),
      config: { cache: { enabled: true, ttl_seconds: 3600 } },
    },
  ]);
  const svc = await startServiceProcess({
    MODEL_REPOSITORY: repo.path,
    CACHE_MEMORY_BYTES: String(cacheBytes),
  });
  try {
    await waitReady(svc, 60_000);
    const run = await stream(`${svc.url}/v2/models/breast-cancer-lite/infer`, REQUESTS);
    const rss = (await scrapeMetric(svc.url, 'process_resident_memory_bytes'))!;
    const cached = (await scrapeMetric(svc.url, 'prediction_cache_memory_bytes')) ?? 0;
    const hits = (await scrapeMetric(svc.url, 'prediction_cache_hits_total', { tier: 'memory' })) ?? 0;
    const heapUsed = (await scrapeMetric(svc.url, 'nodejs_heap_size_used_bytes'))!;
    const heapTotal = (await scrapeMetric(svc.url, 'nodejs_heap_size_total_bytes'))!;
    return { ...run, rss, cached, hits, heapUsed, heapTotal };
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
        `heap ${MiB(off.heapUsed)} used of ${MiB(off.heapTotal)} MiB\n` +
        `  cache ${MiB(BOUND)} MiB:   RSS ${MiB(on.rss)} MiB (${(REQUESTS / on.seconds).toFixed(0)} req/s), ` +
        `heap ${MiB(on.heapUsed)} used of ${MiB(on.heapTotal)} MiB, counted ${MiB(on.cached)} MiB, hits ${on.hits}\n` +
        `  difference:       ${MiB(on.rss - off.rss)} MiB (allowed ${MiB(BOUND + OVERHEAD)} MiB)\n`,
    );
    expect(off.failed + on.failed).toBe(0);
    // The stream filled the cache: it counted close to its bound and evicted (no request repeated).
    expect(on.cached).toBeGreaterThan(BOUND * 0.9);
    expect(on.cached).toBeLessThanOrEqual(BOUND);
    expect(on.rss - off.rss).toBeLessThanOrEqual(BOUND + OVERHEAD);
  }, 300_000);
});
