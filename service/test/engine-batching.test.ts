import { join } from 'node:path';
import { ServiceError } from '../src/core/errors';
import type { Tensor } from '../src/core/tensor';
import { createEngine, type Engine } from '../src/engine';
import {
  BUNDLED,
  FAULTS,
  FLAKY_BY_SIZE,
  RecordingObserver,
  TempRepo,
  farDeadline,
  fp32Rows,
  row,
} from './engine-support/repo';

const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: ServiceError) => ({ ok: false as const, error }),
  );

describe('engine: dynamic batching on real models', () => {
  let repo: TempRepo;
  let engine: Engine;
  const observer = new RecordingObserver();

  beforeAll(async () => {
    repo = new TempRepo({
      'heavy-mlp': {
        from: join(BUNDLED, 'heavy-mlp'),
        config: { warmup: { batch_sizes: [1, 16], iterations: 1 } },
      },
      'breast-cancer': { from: join(BUNDLED, 'breast-cancer'), versions: ['1', '2'] },
      flaky: FLAKY_BY_SIZE,
      digits: { from: join(BUNDLED, 'digits') },
    });
    engine = createEngine({ repositoryPath: repo.path, observer });
    await engine.loaded;
    expect(engine.isReady()).toBe(true);
  });
  afterAll(async () => {
    await engine.close();
    repo.remove();
  });

  /** Sends multi-row requests at once (so they batch), then each row alone, and compares. */
  async function batchedEqualsUnbatched(
    model: string,
    version: string,
    width: number,
    rowsPerRequest: number[],
  ) {
    const requests = rowsPerRequest.map((rows, i) => fp32Rows('input', rows, width, i + 1));
    observer.batches = [];
    const batched = await Promise.all(
      requests.map((input) => engine.infer(model, version, { inputs: [input], deadline: farDeadline() })),
    );
    const formed = observer.batches.filter((b) => b.model === model);
    expect(Math.max(...formed.map((b) => b.requests))).toBeGreaterThan(1);
    expect(formed.reduce((n, b) => n + b.size, 0)).toBe(rowsPerRequest.reduce((a, b) => a + b, 0));

    for (const [i, input] of requests.entries()) {
      expect(batched[i].outputs.every((o) => o.shape[0] === input.shape[0])).toBe(true);
      for (let r = 0; r < input.shape[0]; r++) {
        const single: Tensor = {
          ...input,
          shape: [1, width],
          data: (input.data as Float32Array).slice(r * width, (r + 1) * width),
        };
        const alone = await engine.infer(model, version, { inputs: [single], deadline: farDeadline() });
        alone.outputs.forEach((out, k) => {
          const got = row(batched[i].outputs[k], r);
          const want = row(out, 0);
          if (out.datatype === 'INT64') expect(got).toEqual(want);
          else want.forEach((w, j) => expect(got[j] as number).toBeCloseTo(w as number, 4));
        });
      }
    }
  }

  test('heavy-mlp: batched outputs equal unbatched outputs row for row', async () => {
    await batchedEqualsUnbatched('heavy-mlp', '1', 256, [1, 3, 2, 1, 4, 1, 2]);
  });

  test('heavy-mlp: whole 64-row requests share batches of up to max_batch_rows (256), row for row', async () => {
    await batchedEqualsUnbatched('heavy-mlp', '1', 256, [64, 64, 64, 64, 32]);
    const sizes = observer.batches.filter((b) => b.model === 'heavy-mlp' && b.size > 1).map((b) => b.size);
    expect(Math.max(...sizes)).toBeGreaterThan(64);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(256);
    expect(sizes.every((n) => n % 32 === 0)).toBe(true);
  });

  test.each(['1', '2'])(
    'breast-cancer v%s: batched outputs equal unbatched outputs row for row',
    async (v) => {
      await batchedEqualsUnbatched('breast-cancer', v, 30, [2, 1, 5, 1, 3, 1]);
    },
  );

  test('a failing batch fails only its own requests', async () => {
    const index = (i: number): Tensor => ({
      name: 'index',
      datatype: 'INT64',
      shape: [1, 1],
      data: new BigInt64Array([BigInt(i)]),
    });
    observer.batches = [];
    // Eight rows fill a batch and leave at once; the next three queue behind it and form their own.
    const first = [0, 1, 2, 3, 4, 5, 6, 7].map((i) =>
      settle(engine.infer('flaky', undefined, { inputs: [index(i)], deadline: farDeadline() })),
    );
    const second = [9, 50, 3].map((i) =>
      settle(engine.infer('flaky', undefined, { inputs: [index(i)], deadline: farDeadline() })),
    );
    const a = await Promise.all(first);
    const b = await Promise.all(second);
    expect(a.map((r) => r.ok && (r.value.outputs[0].data as Float32Array)[0])).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => Math.fround(i / 10)),
    );
    for (const r of b) {
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.status).toBe(500);
        expect(r.error.message).toMatch(/model 'flaky' version 1 failed to run a batch of 3 rows: /);
      }
    }
    expect(observer.batches.filter((x) => x.model === 'flaky').map((x) => [x.size, x.ok])).toEqual([
      [8, true],
      [3, false],
    ]);
    const after = await engine.infer('flaky', undefined, { inputs: [index(9)], deadline: farDeadline() });
    expect((after.outputs[0].data as Float32Array)[0]).toBeCloseTo(0.9, 6);
  });

  test('a model without a batch dimension runs one request at a time', async () => {
    observer.batches = [];
    const pixels = (v: number): Tensor => ({
      name: 'pixels',
      datatype: 'UINT8',
      shape: [64],
      data: new Uint8Array(64).fill(v),
    });
    const results = await Promise.all(
      [0, 4, 8, 12, 16].map((v) =>
        engine.infer('digits', undefined, { inputs: [pixels(v)], deadline: farDeadline() }),
      ),
    );
    expect(results.every((r) => r.outputs[0].shape[0] === 1)).toBe(true);
    expect(observer.batches.filter((b) => b.model === 'digits').map((b) => b.requests)).toEqual([
      1, 1, 1, 1, 1,
    ]);
  });

  test('queue and compute times are reported per batch', () => {
    const b = observer.batches[0];
    expect(b.computeSeconds).toBeGreaterThan(0);
    expect(b.queueSeconds).toHaveLength(b.requests);
    expect(observer.depths.length).toBeGreaterThan(0);
  });
});

describe('engine: deadlines and overload', () => {
  let repo: TempRepo;
  let engine: Engine;
  const observer = new RecordingObserver();

  beforeAll(async () => {
    repo = new TempRepo({
      slow: {
        from: join(FAULTS, 'slow'),
        config: { dynamic_batching: { max_queue_delay_microseconds: 1000, max_queue_size: 2 } },
      },
      'breast-cancer': {
        from: join(BUNDLED, 'breast-cancer'),
        // A lone request waits the whole queue delay, far past the 1 ms default.
        config: {
          dynamic_batching: {
            max_queue_delay_microseconds: 200_000,
            max_queue_size: 64,
            default_timeout_microseconds: 1000,
          },
        },
      },
    });
    engine = createEngine({ repositoryPath: repo.path, observer });
    await engine.loaded;
    expect(engine.isReady()).toBe(true);
  });
  afterAll(async () => {
    await engine.close();
    repo.remove();
  });

  const rows = (n: number, seed: number) => fp32Rows('input', n, 512, seed);

  test('a request whose deadline passes while queued is answered 504 and never executed', async () => {
    observer.batches = [];
    observer.rejects = [];
    const busy = settle(engine.infer('slow', undefined, { inputs: [rows(4, 1)], deadline: farDeadline() }));
    const late = settle(
      engine.infer('slow', undefined, { inputs: [rows(1, 2)], deadline: performance.now() + 5 }),
    );
    const next = settle(engine.infer('slow', undefined, { inputs: [rows(2, 3)], deadline: farDeadline() }));
    const [b, l, n] = await Promise.all([busy, late, next]);
    expect(b.ok && n.ok).toBe(true);
    expect(l.ok).toBe(false);
    if (!l.ok) {
      expect(l.error.status).toBe(504);
      expect(l.error.message).toMatch(/model 'slow' version 1: request timed out after \d+ ms in the queue/);
    }
    expect(observer.batches.map((x) => x.size)).toEqual([4, 2]);
    expect(observer.rejects).toEqual([{ model: 'slow', version: '1', reason: 'deadline' }]);
  });

  test('with onnxruntime on its worker thread, a deadline fires while a batch is still computing', async () => {
    const order: string[] = [];
    const busy = engine
      .infer('slow', undefined, { inputs: [rows(4, 1)], deadline: farDeadline() })
      .then(() => order.push('busy done'));
    const late = engine
      .infer('slow', undefined, { inputs: [rows(1, 2)], deadline: performance.now() + 2 })
      .catch((e: ServiceError) => order.push(`late ${e.status}`));
    await Promise.all([busy, late]);
    expect(order).toEqual(['late 504', 'busy done']);
  });

  test('a full queue answers 503 with Retry-After; what was queued still runs', async () => {
    observer.rejects = [];
    const running = settle(
      engine.infer('slow', undefined, { inputs: [rows(4, 1)], deadline: farDeadline() }),
    );
    const queued = [2, 3].map((s) =>
      settle(engine.infer('slow', undefined, { inputs: [rows(4, s)], deadline: farDeadline() })),
    );
    const rejected = await settle(
      engine.infer('slow', undefined, { inputs: [rows(1, 4)], deadline: farDeadline() }),
    );
    expect(rejected.ok).toBe(false);
    if (!rejected.ok) {
      expect(rejected.error.status).toBe(503);
      expect(rejected.error.retryAfterSeconds).toBeGreaterThan(0);
      expect(rejected.error.message).toMatch(/overloaded: 2 requests already queued \(max_queue_size\)/);
    }
    const done = await Promise.all([running, ...queued]);
    expect(done.every((r) => r.ok)).toBe(true);
    expect(observer.rejects).toEqual([{ model: 'slow', version: '1', reason: 'queue_full' }]);
  });

  const bcInputs = () => [fp32Rows('input', 1, 30, 7)];

  test('default_timeout_microseconds bounds the queueing of a request that set no timeout, not of one that did', async () => {
    observer.rejects = [];
    const [defaulted, own] = await Promise.all([
      settle(engine.infer('breast-cancer', '1', { inputs: bcInputs(), deadline: farDeadline() })),
      settle(
        engine.infer('breast-cancer', '1', {
          inputs: bcInputs(),
          deadline: farDeadline(),
          timeoutMs: 60_000,
        }),
      ),
    ]);
    expect(defaulted.ok).toBe(false);
    if (!defaulted.ok) {
      expect(defaulted.error.status).toBe(504);
      expect(defaulted.error.message).toMatch(/request timed out after \d+ ms in the queue/);
    }
    expect(own.ok).toBe(true);
    expect(observer.rejects).toEqual([{ model: 'breast-cancer', version: '1', reason: 'deadline' }]);
  });

  test('default_timeout_microseconds never lengthens a deadline shorter than it', async () => {
    const late = await settle(
      engine.infer('breast-cancer', '1', { inputs: bcInputs(), deadline: performance.now() - 1 }),
    );
    expect(late.ok).toBe(false);
    if (!late.ok) expect(late.error.message).toMatch(/deadline passed before it was queued/);
  });
});
