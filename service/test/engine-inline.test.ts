import { join } from 'node:path';
import type { Tensor } from '../src/core/tensor';
import { silentLogger } from '../src/core/logger';
import { createEngine, SessionPool, type Engine } from '../src/engine';
import { BUNDLED, FAULTS, TempRepo, farDeadline, fp32Rows } from './engine-support/repo';

/**
 * Microsecond-scale models run on the event loop's thread (src/runtime/session-pool.ts, run-time.ts)
 * under a real engine with real onnxruntime sessions: the same answers as on the onnxruntime
 * threads, runs that really leave the threads idle, a slow model kept off the event loop, a version
 * whose runs grow sent back to its threads, a lost thread failing the same models, and the inline
 * sessions given back on unload.
 */
const model = (name: string, config: Record<string, unknown> = {}) => ({
  from: join(BUNDLED, name),
  config,
});
const TINY = {
  'breast-cancer': { ...model('breast-cancer'), versions: ['1', '2'] },
  'breast-cancer-lite': model('breast-cancer-lite'),
  'flights-delay': model('flights-delay'),
};
const WIDTH: Record<keyof typeof TINY, number> = {
  'breast-cancer': 30,
  'breast-cancer-lite': 30,
  'flights-delay': 102,
};

/** Milliseconds the pool's onnxruntime threads have spent out of their idle wait so far. */
const threadsActiveMs = (pool: SessionPool) =>
  pool.threads.reduce((ms, t) => ms + t.worker.performance.eventLoopUtilization().active, 0);

const dataOf = (outputs: Tensor[]) =>
  outputs.map((o) => ({ name: o.name, data: Array.from(o.data as ArrayLike<unknown>) }));

describe('engine: microsecond-scale models run on the event loop', () => {
  const engines: Engine[] = [];
  const repos: TempRepo[] = [];
  // The bound is a wall-clock time, which a loaded test machine stretches several times: the tests
  // that are not about the bound give the tiny models room (the bundled trees run in 10 to 50 µs).
  const start = async (
    models: ConstructorParameters<typeof TempRepo>[0],
    inlineMaxSeconds = 1e-3,
    threads = 2,
  ) => {
    const repo = new TempRepo(models);
    const pool = new SessionPool(silentLogger, threads, inlineMaxSeconds);
    const engine = createEngine({ repositoryPath: repo.path, pool });
    repos.push(repo);
    engines.push(engine);
    await engine.loaded;
    return { engine, pool, repo };
  };
  const infer = (engine: Engine, name: string, inputs: Tensor[], version?: string) =>
    engine.infer(name, version, { inputs, deadline: farDeadline() });

  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    for (const r of repos.splice(0)) r.remove();
  });

  test('answers exactly as the onnxruntime threads do, for every bundled tiny model and batch size', async () => {
    const inline = await start(TINY);
    const threads = await start(TINY, 0);
    expect(inline.pool.inlineSessions).toBe(4);
    expect(threads.pool.inlineSessions).toBe(0);
    for (const [name, width] of Object.entries(WIDTH)) {
      for (const version of name === 'breast-cancer' ? ['1', '2'] : ['1']) {
        for (const rows of [1, 7, 64]) {
          const inputs = [fp32Rows('input', rows, width, rows + version.length)];
          const [a, b] = await Promise.all([
            infer(inline.engine, name, inputs, version),
            infer(threads.engine, name, inputs, version),
          ]);
          expect(dataOf(a.outputs)).toEqual(dataOf(b.outputs));
        }
      }
    }
  }, 60_000);

  test("a tiny model's batches leave the onnxruntime threads idle; with the bound at 0 they run there", async () => {
    const activeOver = async (pool: SessionPool, engine: Engine) => {
      const before = threadsActiveMs(pool);
      for (let i = 0; i < 200; i++) await infer(engine, 'breast-cancer-lite', [fp32Rows('input', 1, 30, i)]);
      return threadsActiveMs(pool) - before;
    };
    const inline = await start({ 'breast-cancer-lite': TINY['breast-cancer-lite'] });
    const threads = await start({ 'breast-cancer-lite': TINY['breast-cancer-lite'] }, 0);
    const [onLoop, onThreads] = [
      await activeOver(inline.pool, inline.engine),
      await activeOver(threads.pool, threads.engine),
    ];
    console.log(
      `threads active over 200 runs: inline ${onLoop.toFixed(2)} ms, on threads ${onThreads.toFixed(2)} ms`,
    );
    // Each run handed over keeps a thread busy for tens of µs at least (receive, run, answer).
    expect(onThreads).toBeGreaterThan(2);
    expect(onLoop).toBeLessThan(onThreads / 10);
  }, 60_000);

  test('a slow model gets no inline session and keeps computing on its thread while tiny ones answer', async () => {
    const { engine, pool } = await start({
      slow: { from: join(FAULTS, 'slow') },
      lite: TINY['breast-cancer-lite'],
    });
    expect(pool.inlineSessions).toBe(1);
    const order: string[] = [];
    const slow = infer(engine, 'slow', [fp32Rows('input', 4, 512, 1)]).then(() => order.push('slow'));
    await new Promise((r) => setTimeout(r, 20));
    const before = threadsActiveMs(pool);
    await infer(engine, 'lite', [fp32Rows('input', 1, 30, 1)]).then(() => order.push('lite'));
    await slow;
    expect(order).toEqual(['lite', 'slow']);
    // The slow batch (hundreds of ms) ran on a thread, not on this one.
    expect(threadsActiveMs(pool) - before).toBeGreaterThan(50);
  }, 60_000);

  test('a version whose runs grow past the bound goes back to its threads', async () => {
    // digits-mlp: about 60 µs at one row, 600 µs at 64 rows; warmed at one row only, it starts inline.
    const { engine, pool } = await start(
      { mlp: model('digits-mlp', { warmup: { batch_sizes: [1], iterations: 2 } }) },
      300e-6,
    );
    expect(pool.inlineSessions).toBe(1);
    const activeOver = async (rows: number, runs: number) => {
      const before = threadsActiveMs(pool);
      for (let i = 0; i < runs; i++) await infer(engine, 'mlp', [fp32Rows('input', rows, 64, i)]);
      return threadsActiveMs(pool) - before;
    };
    // One-row runs keep it inline, or bring it back after a preempted warm-up seeded the recent
    // runs above the bound. Run times are wall-clock, so on a loaded machine (a full CI run beside
    // another test worker) a stretch of them can read past the bound too: within fifty rounds of 20
    // runs, one round must run wholly on this thread, unless the threads' one-row runs themselves
    // take longer than the bound on this host (fresh-clone CI runs on a slow host read 0.7 to
    // 0.9 ms per run all through): then staying on the threads is the right answer, and the rest of
    // this test has nothing to start from.
    const rounds: number[] = [];
    while (rounds.length < 50 && !(rounds.at(-1)! < 1)) rounds.push(await activeOver(1, 20));
    const msPerRun = rounds.at(-1)! / 20;
    if (rounds.at(-1)! >= 1 && msPerRun > 0.3) {
      console.warn(
        `host too slow for a 300 µs bound: one-row runs on the threads took ${msPerRun.toFixed(2)} ms each`,
      );
      return;
    }
    expect(rounds.at(-1)).toBeLessThan(1);
    // The first three 64-row batches run inline and take the recent runs' median past the bound;
    // the rest do not.
    await activeOver(64, 30);
    expect(await activeOver(64, 10)).toBeGreaterThan(3);
  }, 60_000);

  test('a lost thread fails the tiny models it held, inline session or not, and no others', async () => {
    const { engine, pool } = await start(
      { a: TINY['breast-cancer-lite'], b: TINY['breast-cancer-lite'] },
      undefined,
      4,
    );
    expect(pool.inlineSessions).toBe(2);
    await Promise.all([pool.threads[0].worker.terminate(), pool.threads[1].worker.terminate()]);
    const end = Date.now() + 5000;
    while (engine.isReady() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(engine.isReady()).toBe(false);
    await expect(infer(engine, 'a', [fp32Rows('input', 1, 30, 1)])).rejects.toMatchObject({
      status: 500,
      message: expect.stringMatching(/onnxruntime worker exited with code 1/),
    });
    expect(await infer(engine, 'b', [fp32Rows('input', 1, 30, 1)])).toMatchObject({ modelName: 'b' });
  }, 30_000);

  test('unload and reload give the inline sessions back', async () => {
    const { engine, pool } = await start({
      lite: TINY['breast-cancer-lite'],
      flights: TINY['flights-delay'],
    });
    expect(pool.inlineSessions).toBe(2);
    await engine.unload('lite');
    expect(pool.inlineSessions).toBe(1);
    for (let i = 0; i < 5; i++) {
      await engine.load('lite');
      await engine.load('flights');
    }
    expect(pool.inlineSessions).toBe(2);
    expect(await infer(engine, 'lite', [fp32Rows('input', 1, 30, 1)])).toMatchObject({ modelName: 'lite' });
    await Promise.all([engine.unload('lite'), engine.unload('flights')]);
    expect(pool.inlineSessions).toBe(0);
  }, 60_000);
});
