import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FALLBACK_HEADER } from '../src/features/predict-handler';
import { loadFeatureSpec } from '../src/features/serving';
import { createProductionGuards } from '../src/guards';
import {
  heldOut as readHeldOut,
  materializeFlights,
  readMatrix,
  type Matrix,
} from '../../test/support/flights-store';
import { RedisServer, describeWithRedis } from '../../test/support/redis-server';
import { BUNDLED_MODELS, postJson, startTestService, tempRepository, type TestService } from './http-support';

/**
 * /predict end to end on the bundled flights-delay model: the online store filled by the real
 * `features:materialize` command into a real Redis, the real service on loopback.
 */
const heldOut = readHeldOut();
const compiled = loadFeatureSpec(BUNDLED_MODELS, 'flights-delay')!;
const columns = compiled.tensors[0].columns;

/** Every key of the store with its value, sorted: the store's whole state. */
async function storeState(server: RedisServer): Promise<string[]> {
  const { Redis } = await import('ioredis');
  const client = new Redis(server.url, { lazyConnect: true });
  await client.connect();
  try {
    const keys = (await client.keys('features:*')).sort();
    const values = keys.length ? await client.mget(keys) : [];
    return keys.map((k, i) => `${k}=${values[i]}`);
  } finally {
    client.disconnect();
  }
}

const f32 = (xs: readonly number[]) => Buffer.from(Float32Array.from(xs).buffer);

describeWithRedis('POST /v2/models/{m}/predict with the online store filled by materialize', () => {
  let redis: RedisServer;
  let work: string;
  let repo: ReturnType<typeof tempRepository>;
  let svc: TestService;
  let matrix: Matrix;
  let events: number;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'features-'));
    redis = await RedisServer.start({ persistDir: work });
    expect(materializeFlights(redis.url, work)).toMatch(/entity values -> redis:\/\/127\.0\.0\.1/);
    const first = readMatrix(work);
    const state = await storeState(redis);
    expect(state.length).toBeGreaterThan(300);
    // Idempotent: a second run leaves the store and the matrix exactly as they were.
    materializeFlights(redis.url, work);
    expect(await storeState(redis)).toEqual(state);
    expect(readMatrix(work).bytes.equals(first.bytes)).toBe(true);
    ({ matrix, firstHeldOut: events } = first);

    repo = tempRepository(['flights-delay']);
    svc = await startTestService(
      { MODEL_REPOSITORY: repo.dir, FEATURE_STORE_URL: redis.url, FEATURE_LOOKUP_TIMEOUT_MS: '2000' },
      { guards: createProductionGuards },
    );
    await svc.loaded;
  }, 120_000);

  afterAll(async () => {
    await svc?.stop(5000);
    await redis?.stop();
    repo?.remove();
    rmSync(work, { recursive: true, force: true });
  });

  const predict = (records: unknown[], parameters: Record<string, unknown> = { return_features: true }) =>
    postJson(`${svc.url}/v2/models/flights-delay/predict`, { records, parameters });

  type Prediction = { label: number; probabilities: number[]; features: { input: number[] } };
  const predictionsOf = (json: Record<string, unknown>) => json.predictions as Prediction[];

  it('serves the held-out records with the training matrix rows, bit for bit in FP32 (no skew)', async () => {
    const predictions: Prediction[] = [];
    // At most max_batch_size (64) records per request.
    for (let i = 0; i < heldOut.records.length; i += 64) {
      const res = await predict(heldOut.records.slice(i, i + 64));
      expect(res.status).toBe(200);
      expect(res.headers.get(FALLBACK_HEADER)).toBeNull();
      predictions.push(...predictionsOf(res.json));
    }
    expect(predictions).toHaveLength(heldOut.records.length);
    predictions.forEach((p, i) => {
      const offline = matrix.rows[events + i][0];
      expect(matrix.labels[events + i]).toBeNull(); // a row to score, not a training example
      expect(f32(p.features.input).equals(f32(offline))).toBe(true);
    });
    // Entity features really came from the store: most airports had recent flights.
    const entityColumn = columns.indexOf('origin_delay_std');
    const defaultValue = new Set(predictions.map((p) => p.features.input[entityColumn]));
    expect(defaultValue.size).toBeGreaterThan(10);
  });

  it('answers like /infer with the same tensor (same model, same pipeline)', async () => {
    const rows = matrix.rows.slice(events, events + 5).map((r) => r[0]);
    const infer = await postJson(`${svc.url}/v2/models/flights-delay/infer`, {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [5, columns.length], data: rows.flat() }],
    });
    expect(infer.status).toBe(200);
    const probs = (infer.json.outputs as { name: string; data: number[] }[]).find(
      (o) => o.name === 'probabilities',
    )!;
    const res = await predict(heldOut.records.slice(0, 5));
    expect(predictionsOf(res.json).flatMap((p) => p.probabilities)).toEqual(probs.data);
    // The same tensor: /predict is answered from the prediction cache /infer filled.
    expect(res.headers.get('x-cache')).toBe('hit-memory');
    expect(res.headers.get('x-model-variant')).toBe('explicit');
  });

  it('puts unknown airports in the out-of-vocabulary column', async () => {
    const record = { ...heldOut.records[0], origin: 'XXX' };
    const res = await predict([record]);
    expect(res.status).toBe(200);
    const [p] = predictionsOf(res.json);
    const oneHot = columns
      .map((c, i) => [c, i] as const)
      .filter(([c]) => c.startsWith('origin_onehot['))
      .map(([, i]) => p.features.input[i]);
    expect(oneHot.slice(0, -1).every((v) => v === 0)).toBe(true);
    expect(oneHot[oneHot.length - 1]).toBe(1);
  });

  it.each([
    [
      'a missing required field',
      { distance: undefined },
      /^records\[1\]\.distance: required field is missing$/,
    ],
    [
      'a wrong type',
      { distance: '500 miles' },
      /^records\[1\]\.distance: must be a finite number, got "500 miles"$/,
    ],
    ['an unparsable timestamp', { date: '31/03/2001' }, /^records\[1\]\.date: must be a timestamp/],
    [
      'a record that is too large',
      { note: 'x'.repeat(5000) },
      /^records\[1\]: record is \d+ bytes, more than the 4096-byte limit$/,
    ],
  ])('answers 400 naming the record index and field for %s', async (_what, change, message) => {
    const res = await predict([heldOut.records[0], { ...heldOut.records[1], ...change }]);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(message);
  });

  it('answers 400 for more records than one model batch', async () => {
    const res = await predict(Array(65).fill(heldOut.records[0]));
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('records has 65 records, more than the limit of 64');
  });

  it('takes the OIP timeout parameter like /infer', async () => {
    const res = await predict([heldOut.records[0]], { timeout: -1 });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('parameters.timeout must be a positive number of microseconds');
  });

  it('answers 400 for a body without records, 405 for GET', async () => {
    expect((await postJson(`${svc.url}/v2/models/flights-delay/predict`, { inputs: [] })).status).toBe(400);
    const get = await fetch(`${svc.url}/v2/models/flights-delay/predict`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('answers every request with defaults while Redis is SIGKILLed under load, and reads values again after restart', async () => {
    const records = heldOut.records.slice(0, 4);
    const baseline = predictionsOf((await predict(records)).json).map((p) => p.features.input);
    const statuses = new Map<number, number>();
    let fallbacks = 0;
    let sent = 0;
    let stop = false;
    const worker = async () => {
      while (!stop && sent < 3000) {
        sent++;
        const res = await predict(records, { return_features: true, cache: false });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.headers.get(FALLBACK_HEADER) === 'defaults') {
          fallbacks++;
          const entity = columns.indexOf('origin_delay_std');
          // Default 0 clipped, then standardised: the same value for every record.
          const values = new Set(predictionsOf(res.json).map((p) => p.features.input[entity]));
          expect(values.size).toBe(1);
        }
      }
    };
    const load = Promise.all([worker(), worker(), worker(), worker()]);
    await new Promise((r) => setTimeout(r, 500));
    await redis.stop(); // SIGKILL
    await new Promise((r) => setTimeout(r, 1000));
    await redis.start();
    // Values come back once the connection is up again (reconnect backoff is at most 2 s).
    const deadline = Date.now() + 15_000;
    let recovered = false;
    while (!recovered && Date.now() < deadline) {
      const res = await predict(records, { return_features: true, cache: false });
      recovered = res.headers.get(FALLBACK_HEADER) === null;
      if (recovered) expect(predictionsOf(res.json).map((p) => p.features.input)).toEqual(baseline);
      else await new Promise((r) => setTimeout(r, 100));
    }
    stop = true;
    await load;
    expect(recovered).toBe(true);
    expect([...statuses.keys()]).toEqual([200]);
    expect(fallbacks).toBeGreaterThan(0);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    const errors = /feature_lookup_total\{model="flights-delay",result="error"\} (\d+)/.exec(metrics);
    expect(Number(errors?.[1])).toBeGreaterThanOrEqual(
      fallbacks * records.length * compiled.spec.entities.length,
    );
    expect(metrics).toMatch(/feature_lookup_total\{model="flights-delay",result="hit"\} [1-9]/);
    expect(metrics).toMatch(/feature_age_seconds_count\{model="flights-delay"\} [1-9]/);
  }, 60_000);
});
