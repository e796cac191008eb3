import { join } from 'node:path';
import { status as Code } from '@grpc/grpc-js';
import { describeWithRedis, RedisServer } from '../support/redis-server';
import { FIXTURE_MODELS, makeModelRepo } from '../support/model-repo';
import { startServiceProcess, waitReady, type ServiceProcess } from '../support/service-process';
import { runGrpcLoad, type GrpcLoadResult } from '../support/grpc-load';

/**
 * The faults of redis-outage.test.ts and sigterm.test.ts, under gRPC load: the gRPC door shares
 * the REST door's guards and drain, so it must lose nothing either.
 */
const countBy = (results: GrpcLoadResult[]) =>
  JSON.stringify(
    Object.fromEntries(
      [...new Set(results.map((r) => Code[r.code]))].map((c) => [
        c,
        results.filter((r) => Code[r.code] === c).length,
      ]),
    ),
  );

describeWithRedis('chaos: Redis SIGKILLed under gRPC load', () => {
  const COUNT = 600;
  let redis: RedisServer;
  let repo: ReturnType<typeof makeModelRepo>;
  let svc: ServiceProcess;

  beforeAll(async () => {
    redis = await RedisServer.start();
    repo = makeModelRepo([
      {
        name: 'lookup',
        from: join(FIXTURE_MODELS, 'flaky-fallback'),
        config: { cache: { enabled: true, ttl_seconds: 120 } },
      },
    ]);
    svc = await startServiceProcess({
      MODEL_REPOSITORY: repo.path,
      REDIS_URL: redis.url,
      RATE_LIMIT_RPS: '100000',
      GRPC_PORT: 'ephemeral',
    });
    await waitReady(svc, 60_000);
  }, 120_000);
  afterAll(async () => {
    await svc?.stop();
    await redis?.stop();
    repo?.cleanup();
  });

  it('answers every call exactly once, OK, while Redis dies and comes back', async () => {
    let outage: Promise<void> | undefined;
    const results = await runGrpcLoad({
      target: `127.0.0.1:${svc.grpcPort}`,
      count: COUNT,
      concurrency: 8,
      pauseMs: 2,
      // Half repeat 20 inputs (cache hits), half are fresh (Redis lookups and writes).
      request: (i) => ({
        model_name: 'lookup',
        inputs: [
          {
            name: 'index',
            datatype: 'INT64',
            shape: [1, 1],
            contents: { int64_contents: [String(i % 2 ? i % 20 : 10_000 + i)] },
          },
        ],
      }),
      onResult: (_r, done) => {
        if (done !== 150) return;
        outage = (async () => {
          await redis.stop();
          await new Promise((r) => setTimeout(r, 800));
          await redis.start();
        })();
      },
    });
    await outage;
    console.log(`gRPC under a Redis outage: ${COUNT} calls, ${countBy(results)}`);
    expect(results).toHaveLength(COUNT);
    expect(new Set(results.map((r) => r.requestId)).size).toBe(COUNT);
    expect(results.every((r) => r.echoedId === r.requestId)).toBe(true);
    expect(results.filter((r) => r.code !== Code.OK)).toEqual([]);
  }, 120_000);
});

it('finishes every accepted gRPC call and exits 0 on SIGTERM under load', async () => {
  const repo = makeModelRepo([{ name: 'slow', from: join(FIXTURE_MODELS, 'slow') }]);
  const svc = await startServiceProcess({
    MODEL_REPOSITORY: repo.path,
    LOG_LEVEL: 'debug',
    SHUTDOWN_TIMEOUT_MS: '15000',
    GRPC_PORT: 'ephemeral',
  });
  try {
    await waitReady(svc, 60_000);
    let exit: Promise<number | null> | undefined;
    const results = await runGrpcLoad({
      target: `127.0.0.1:${svc.grpcPort}`,
      count: 120,
      concurrency: 8,
      request: () => ({
        model_name: 'slow',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 512] }],
        raw_input_contents: [Buffer.from(new Float32Array(512).fill(0.02).buffer)],
      }),
      onResult: (_r, done) => {
        if (done === 16) exit = svc.stop('SIGTERM');
      },
    });
    expect(await exit).toBe(0);
    const logged = new Set(
      svc.lines
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { requestId?: string; protocol?: string })
        .filter((l) => l.protocol === 'grpc')
        .map((l) => l.requestId),
    );
    const answered = results.filter((r) => r.code === Code.OK);
    const refused = results.filter((r) => r.code !== Code.OK);
    console.log(`SIGTERM under gRPC load: ${answered.length} OK, refused: ${countBy(refused)}`);
    expect(answered.length).toBeGreaterThan(16);
    expect(answered.every((r) => r.echoedId === r.requestId)).toBe(true);
    // Every call the server accepted was answered OK...
    for (const id of logged) expect(answered.some((r) => r.requestId === id)).toBe(true);
    // ...and every refusal is UNAVAILABLE for a call the server never accepted.
    for (const r of refused) {
      expect(r.code).toBe(Code.UNAVAILABLE);
      expect(logged.has(r.requestId)).toBe(false);
    }
  } finally {
    await svc.stop('SIGKILL');
    repo.cleanup();
  }
}, 120_000);
