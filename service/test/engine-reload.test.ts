import { join } from 'node:path';
import { ServiceError } from '../src/core/errors';
import { createEngine, type Engine } from '../src/engine';
import { BUNDLED, FAULTS, RecordingObserver, TempRepo, farDeadline, fp32Rows } from './engine-support/repo';

const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: ServiceError) => ({ ok: false as const, error }),
  );

const nextTick = () => new Promise((r) => setImmediate(r));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('engine: load, reload and unload at run time', () => {
  let repo: TempRepo;
  let engine: Engine;
  const observer = new RecordingObserver();
  const input = fp32Rows('input', 1, 30, 5);
  const infer = (model = 'breast-cancer', version?: string) =>
    engine.infer(model, version, { inputs: [input], deadline: farDeadline() });

  beforeEach(async () => {
    repo = new TempRepo({
      'breast-cancer': {
        from: join(BUNDLED, 'breast-cancer'),
        versions: ['1'],
        config: { version_policy: { latest: { num_versions: 1 } } },
      },
      'heavy-mlp': {
        from: join(BUNDLED, 'heavy-mlp'),
        config: { warmup: { batch_sizes: [1, 16, 32, 64], iterations: 2 } },
      },
    });
    observer.loads = [];
    engine = createEngine({ repositoryPath: repo.path, observer });
    await engine.loaded;
    expect(engine.isReady()).toBe(true);
  });
  afterEach(async () => {
    await engine.close();
    repo.remove();
  });

  test('a reload while requests stream in drops none of them', async () => {
    const heavy = (seed: number) =>
      engine.infer('heavy-mlp', undefined, {
        inputs: [fp32Rows('input', 1, 256, seed)],
        deadline: farDeadline(),
      });
    const reference = await heavy(42);
    const results: Promise<{ ok: boolean }>[] = [];
    let reloaded = false;
    let sentBefore = 0;
    let sentAfter = 0;
    const reload = engine.load('heavy-mlp').then(() => (reloaded = true));
    // Keep sending while the new version loads and warms up, and for a while after it took over.
    while (sentAfter < 20 && sentBefore < 5000) {
      if (reloaded) sentAfter++;
      else sentBefore++;
      results.push(
        settle(heavy(42)).then((r) => {
          if (r.ok)
            expect(Array.from(r.value.outputs[0].data as Float32Array)).toEqual(
              Array.from(reference.outputs[0].data as Float32Array),
            );
          return r;
        }),
      );
      await pause(1);
    }
    await reload;
    const settled = await Promise.all(results);
    expect(settled.filter((r) => !r.ok)).toEqual([]);
    expect(sentBefore).toBeGreaterThan(0);
    expect(sentAfter).toBe(20);
    expect(observer.loads.filter((l) => l.model === 'heavy-mlp').map((l) => l.ok)).toEqual([true, true]);
    expect(engine.index().find((e) => e.name === 'heavy-mlp')).toEqual({
      name: 'heavy-mlp',
      version: '1',
      state: 'READY',
      reason: '',
    });
  });

  test('a corrupt file on reload fails clearly while the loaded version keeps serving', async () => {
    repo.replaceVersion('breast-cancer', '1', join(FAULTS, 'corrupt/1/model.onnx'));
    const inflight = [infer(), infer(), infer()];
    const error = await engine.load('breast-cancer').then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(error?.status).toBe(400);
    expect(error?.message).toMatch(
      /model 'breast-cancer' failed to load version 1: .*breast-cancer\/1\/model\.onnx: onnxruntime cannot load it/,
    );
    await expect(Promise.all(inflight)).resolves.toHaveLength(3);
    expect((await infer()).modelVersion).toBe('1');
    expect(engine.isReady()).toBe(true);
    const entry = engine.index().find((e) => e.name === 'breast-cancer')!;
    expect(entry.state).toBe('READY');
    expect(entry.reason).toMatch(/^reload failed, still serving the previous load: /);

    repo.linkVersion('breast-cancer', '1', join(BUNDLED, 'breast-cancer/1/model.onnx'));
    await engine.load('breast-cancer');
    expect(engine.index().find((e) => e.name === 'breast-cancer')!.reason).toBe('');
  });

  test('an incompatible model on reload is rejected and the old one keeps serving', async () => {
    repo.replaceVersion('breast-cancer', '1', join(FAULTS, 'incompatible/1/model.onnx'));
    await expect(engine.load('breast-cancer')).rejects.toThrow(
      /failed to load version 1: config\.json (input|output) '\w+': /,
    );
    expect((await infer()).outputs).toHaveLength(2);
  });

  test('an invalid config on reload is rejected, naming the file and key, and nothing changes', async () => {
    repo.writeConfig('breast-cancer', {
      name: 'breast-cancer',
      max_batch_size: 64,
      dynamic_batching: { max_queue_delay_microseconds: -5 },
    });
    await expect(engine.load('breast-cancer')).rejects.toThrow(
      /breast-cancer\/config\.json: dynamic_batching\.max_queue_delay_microseconds: got -5; .*the loaded versions keep serving/,
    );
    expect((await infer()).modelVersion).toBe('1');
    expect(engine.isReady()).toBe(true);
  });

  test('a new version directory is picked up by load; the old version drains and retires', async () => {
    repo.linkVersion('breast-cancer', '2', join(BUNDLED, 'breast-cancer/2/model.onnx'));
    const before = [infer(), infer()];
    await engine.load('breast-cancer');
    expect((await Promise.all(before)).map((r) => r.modelVersion)).toEqual(['1', '1']);
    expect((await infer()).modelVersion).toBe('2');
    expect(engine.index().filter((e) => e.name === 'breast-cancer')).toEqual([
      {
        name: 'breast-cancer',
        version: '1',
        state: 'UNAVAILABLE',
        reason: 'unloaded: not selected by version_policy',
      },
      { name: 'breast-cancer', version: '2', state: 'READY', reason: '' },
    ]);
    await expect(infer('breast-cancer', '1')).rejects.toMatchObject({ status: 503 });
  });

  test('unload finishes queued requests first, then refuses; load brings the model back', async () => {
    const queued = [infer(), infer(), infer()];
    const unloading = engine.unload('breast-cancer');
    await nextTick();
    await expect(infer()).rejects.toMatchObject({ status: 503 });
    await unloading;
    expect((await Promise.all(queued)).map((r) => r.outputs.length)).toEqual([2, 2, 2]);
    expect(engine.index().find((e) => e.name === 'breast-cancer')).toMatchObject({
      state: 'UNAVAILABLE',
      reason: 'unloaded',
    });
    expect(engine.modelReady('breast-cancer')).toBe(false);
    // An unloaded model is not expected to serve, so the server stays ready.
    expect(engine.isReady()).toBe(true);
    await engine.load('breast-cancer');
    expect((await infer()).modelVersion).toBe('1');
  });

  test('close drains queued work, then turns readiness off and refuses new work', async () => {
    const queued = [infer(), infer()];
    const closing = engine.close();
    expect(engine.isReady()).toBe(false);
    await closing;
    expect((await Promise.all(queued)).map((r) => r.outputs.length)).toEqual([2, 2]);
    await expect(infer()).rejects.toMatchObject({ status: 503 });
    await expect(engine.load('breast-cancer')).rejects.toMatchObject({ status: 503 });
  });
});
