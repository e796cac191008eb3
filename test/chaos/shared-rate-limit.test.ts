import { join } from 'node:path';
import { describeWithRedis, RedisServer } from '../support/redis-server';
import { FIXTURE_MODELS, makeModelRepo } from '../support/model-repo';
import { startReplicaPair, type ServiceProcess } from '../support/service-process';
import { runLoad } from '../support/load';

/**
 * Two service processes share one Redis and one rate limit (20 requests per 1 s window). Both are
 * driven past it for 3 s. Two independent per-process limiters would admit at least 2 × 20 per
 * second; the shared one admits at most 20 per window, plus one window of slack at each end.
 */
const RPS = 20;
const BURST = 20;
const DURATION_MS = 3000;

describeWithRedis('chaos: two replicas, one global rate limit', () => {
  let redis: RedisServer;
  let repo: ReturnType<typeof makeModelRepo>;
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    redis = await RedisServer.start();
    repo = makeModelRepo([{ name: 'lookup', from: join(FIXTURE_MODELS, 'flaky-fallback') }]);
    const env = {
      MODEL_REPOSITORY: repo.path,
      REDIS_URL: redis.url,
      RATE_LIMIT_RPS: String(RPS),
      RATE_LIMIT_BURST: String(BURST),
      API_KEYS: 'shared-client-key',
    };
    [a, b] = await startReplicaPair(env);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    repo?.cleanup();
  });

  it('holds the limit across both processes within the burst', async () => {
    const request = (i: number) => ({
      body: JSON.stringify({ inputs: [{ name: 'index', shape: [1, 1], datatype: 'INT64', data: [i % 10] }] }),
      headers: { authorization: 'Bearer shared-client-key' },
    });
    const started = performance.now();
    const runs = await Promise.all(
      [a, b].map((s) =>
        runLoad({
          url: `${s.url}/v2/models/lookup/infer`,
          count: 2000,
          concurrency: 3,
          durationMs: DURATION_MS,
          request,
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const all = runs.flat();
    const admitted = all.filter((r) => r.status === 200);
    const limited = all.filter((r) => r.status === 429);
    const windows = Math.ceil(seconds) + 1;
    console.log(
      `shared limit ${BURST}/s over ${seconds.toFixed(2)} s: ${admitted.length} admitted ` +
        `(A ${runs[0].filter((r) => r.status === 200).length}, B ${runs[1].filter((r) => r.status === 200).length}), ` +
        `${limited.length} x 429, ceiling ${BURST * windows}`,
    );
    // Any other outcome is named, so a failure says what the replica answered.
    const other = all.filter((r) => r.status !== 200 && r.status !== 429);
    expect(other.slice(0, 3).map((r) => r.status ?? r.error)).toEqual([]);
    expect(admitted.length).toBeLessThanOrEqual(BURST * windows);
    // Never rejecting everything: each full window passes its burst.
    expect(admitted.length).toBeGreaterThanOrEqual(BURST * Math.floor(seconds));
    // Both replicas admitted some: the budget is one pool, not one replica's.
    expect(runs.every((r) => r.some((x) => x.status === 200))).toBe(true);
    for (const r of limited) {
      expect(Number(r.headers!.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(r.headers!.get('ratelimit-limit')).toBe(String(BURST));
      expect(r.headers!.get('ratelimit-remaining')).toBe('0');
    }
    expect(admitted.every((r) => Number(r.headers!.get('ratelimit-remaining')) < BURST)).toBe(true);
  }, 60_000);
});
