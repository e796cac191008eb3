/**
 * /predict against /infer on the same model: the bundled flights-delay model, its online
 * store filled by `features:materialize` into a real redis-server, the service as its own process,
 * everything on loopback. One record per request, the prediction cache off so that both run the
 * model. /infer gets the very tensor /predict builds for the record (the materialised matrix row),
 * so the difference is the record validation, the entity lookup (one MGET, 3 keys) and the
 * transforms. Rounds alternate between the two endpoints; each round is bounded in time.
 *
 *   npx tsx service/bench/predict.ts [--seconds 5] [--rounds 3] [--connections 16]
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heldOut, materializeFlights, readMatrix } from '../../test/support/flights-store';
import { percentile, runLoad } from '../../test/support/load';
import { BUNDLED_MODELS, makeModelRepo } from '../../test/support/model-repo';
import { RedisServer } from '../../test/support/redis-server';
import { startServiceProcess, waitReady } from '../../test/support/service-process';
import { numberArg } from './args';

const SECONDS = numberArg('seconds', 5);
const ROUNDS = numberArg('rounds', 3);
const CONNECTIONS = numberArg('connections', 16);

async function round(url: string, bodies: string[]) {
  const started = performance.now();
  const results = await runLoad({
    url,
    count: 1_000_000,
    concurrency: CONNECTIONS,
    durationMs: SECONDS * 1000,
    request: (i) => ({ body: bodies[i % bodies.length] }),
  });
  const elapsed = (performance.now() - started) / 1000;
  const ok = results.filter((r) => r.status === 200);
  const fallbacks = results.filter((r) => r.headers?.get('x-feature-fallback')).length;
  return {
    rps: ok.length / elapsed,
    p50: percentile(
      ok.map((r) => r.ms),
      50,
    ),
    p99: percentile(
      ok.map((r) => r.ms),
      99,
    ),
    failed: results.length - ok.length,
    fallbacks,
  };
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'bench-predict-'));
  const redis = await RedisServer.start();
  const repo = makeModelRepo([{ name: 'flights-delay', from: join(BUNDLED_MODELS, 'flights-delay') }]);
  try {
    materializeFlights(redis.url, work);
    const { matrix, firstHeldOut } = readMatrix(work);
    const { records } = heldOut();
    const width = matrix.rows[0][0].length;
    const predictBodies = records.map((r) => JSON.stringify({ records: [r], parameters: { cache: false } }));
    const inferBodies = records.map((_, i) =>
      JSON.stringify({
        parameters: { cache: false },
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [1, width], data: matrix.rows[firstHeldOut + i][0] },
        ],
      }),
    );
    // makeModelRepo links the version files and writes config.json; the spec goes beside them.
    copyFileSync(
      join(BUNDLED_MODELS, 'flights-delay/features.json'),
      join(repo.path, 'flights-delay/features.json'),
    );
    const svc = await startServiceProcess(
      { MODEL_REPOSITORY: repo.path, FEATURE_STORE_URL: redis.url },
      60_000,
    );
    try {
      await waitReady(svc, 60_000);
      const base = `${svc.url}/v2/models/flights-delay`;
      // Warm both paths (connections, JIT, the store connection).
      await round(`${base}/predict`, predictBodies.slice(0, 8));
      const runs: Record<'infer' | 'predict', Awaited<ReturnType<typeof round>>[]> = {
        infer: [],
        predict: [],
      };
      for (let i = 0; i < ROUNDS; i++) {
        runs.infer.push(await round(`${base}/infer`, inferBodies));
        runs.predict.push(await round(`${base}/predict`, predictBodies));
      }
      console.log(
        `flights-delay, 1 record per request, ${CONNECTIONS} connections, ${ROUNDS} x ${SECONDS} s rounds each`,
      );
      console.log('endpoint  round  req/s    p50 ms  p99 ms  failed  store fallbacks');
      for (const [name, list] of Object.entries(runs)) {
        list.forEach((r, i) =>
          console.log(
            `${name.padEnd(8)}  ${String(i + 1).padEnd(5)}  ${r.rps.toFixed(0).padStart(6)}  ${r.p50.toFixed(2).padStart(6)}  ${r.p99.toFixed(2).padStart(6)}  ${String(r.failed).padStart(6)}  ${r.fallbacks}`,
          ),
        );
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      for (const [name, list] of Object.entries(runs)) {
        console.log(
          `${name} median: ${median(list.map((r) => r.rps)).toFixed(0)} req/s, p99 ${median(list.map((r) => r.p99)).toFixed(2)} ms`,
        );
      }
    } finally {
      await svc.stop();
    }
  } finally {
    await redis.stop();
    repo.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
