import { join } from 'node:path';
import { ServiceError } from '../src/core/errors';
import { createEngine, type Engine } from '../src/engine';
import type { EngineLogger } from '../src/core/logger';
import {
  BUNDLED,
  FAULTS,
  RecordingObserver,
  SERVICE_FIXTURES,
  TempRepo,
  farDeadline,
  fp32Rows,
} from './engine-support/repo';

async function status(p: Promise<unknown> | (() => unknown)): Promise<number | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof ServiceError) return e.status;
    throw e;
  }
  return undefined;
}

describe('engine: loading the bundled models', () => {
  let repo: TempRepo;
  let engine: Engine;
  const observer = new RecordingObserver();

  beforeAll(async () => {
    repo = new TempRepo({
      'breast-cancer': { from: join(BUNDLED, 'breast-cancer'), versions: ['1', '2'] },
      digits: { from: join(BUNDLED, 'digits') },
      'identity-types': { from: join(SERVICE_FIXTURES, 'identity-types') },
    });
    engine = createEngine({ repositoryPath: repo.path, observer });
    expect(engine.isReady()).toBe(false);
    await engine.loaded;
  });
  afterAll(async () => {
    await engine.close();
    repo.remove();
  });

  test('every model is READY and the engine is ready', () => {
    expect(engine.isReady()).toBe(true);
    expect(engine.index()).toEqual([
      { name: 'breast-cancer', version: '1', state: 'READY', reason: '' },
      { name: 'breast-cancer', version: '2', state: 'READY', reason: '' },
      { name: 'digits', version: '1', state: 'READY', reason: '' },
      { name: 'identity-types', version: '1', state: 'READY', reason: '' },
    ]);
  });

  test('load time is reported per version', () => {
    expect(observer.loads.map((l) => `${l.model}/${l.version}:${l.ok}`).sort()).toEqual([
      'breast-cancer/1:true',
      'breast-cancer/2:true',
      'digits/1:true',
      'identity-types/1:true',
    ]);
    for (const l of observer.loads) expect(l.seconds).toBeGreaterThan(0);
  });

  test('metadata comes from the ONNX model, narrowed by the config', () => {
    expect(engine.metadata('breast-cancer')).toEqual({
      name: 'breast-cancer',
      versions: ['1', '2'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 30] }],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
    });
    expect(engine.metadata('digits', '1').inputs).toEqual([
      { name: 'pixels', datatype: 'UINT8', shape: [64] },
    ]);
  });

  test('infer without a version goes to the latest; with one, to that one', async () => {
    const input = fp32Rows('input', 2, 30, 1);
    const latest = await engine.infer('breast-cancer', undefined, {
      inputs: [input],
      deadline: farDeadline(),
    });
    expect(latest.modelVersion).toBe('2');
    const v1 = await engine.infer('breast-cancer', '1', {
      inputs: [input],
      outputs: ['probabilities'],
      deadline: farDeadline(),
    });
    expect(v1.modelVersion).toBe('1');
    expect(v1.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([['probabilities', 'FP32', [2, 2]]]);
    const sums = [0, 1].map(
      (r) => (v1.outputs[0].data as Float32Array)[2 * r] + (v1.outputs[0].data as Float32Array)[2 * r + 1],
    );
    for (const s of sums) expect(s).toBeCloseTo(1, 5);
  });

  test('outputs come back in the requested order', async () => {
    const res = await engine.infer('breast-cancer', '2', {
      inputs: [fp32Rows('input', 1, 30, 2)],
      outputs: ['probabilities', 'label'],
      deadline: farDeadline(),
    });
    expect(res.outputs.map((o) => o.name)).toEqual(['probabilities', 'label']);
    expect(res.outputs[1].data).toBeInstanceOf(BigInt64Array);
  });

  test('a model without a batch dimension runs its fixed shape', async () => {
    const res = await engine.infer('digits', undefined, {
      inputs: [{ name: 'pixels', datatype: 'UINT8', shape: [64], data: new Uint8Array(64).fill(8) }],
      deadline: farDeadline(),
    });
    expect(res.outputs.map((o) => [o.name, o.shape])).toEqual([
      ['label', [1]],
      ['scores', [1, 10]],
    ]);
  });

  test('BOOL, FP16, INT64, BYTES and FP64 survive the trip through onnxruntime, batched or not', async () => {
    const req = (k: number) => [
      { name: 'b_in', datatype: 'BOOL' as const, shape: [1, 3], data: new Uint8Array([1, 0, k % 2]) },
      { name: 'h_in', datatype: 'FP16' as const, shape: [1, 2], data: new Uint16Array([0x3c00 + k, 0xc000]) },
      {
        name: 'i_in',
        datatype: 'INT64' as const,
        shape: [1, 2],
        data: new BigInt64Array([2n ** 62n + BigInt(k), -5n]),
      },
      {
        name: 's_in',
        datatype: 'BYTES' as const,
        shape: [1, 2],
        data: [Buffer.from(`héllo${k}`), Buffer.from('')],
      },
      { name: 'd_in', datatype: 'FP64' as const, shape: [1, 1], data: new Float64Array([Math.PI * k]) },
    ];
    const results = await Promise.all(
      [0, 1, 2].map((k) =>
        engine.infer('identity-types', undefined, { inputs: req(k), deadline: farDeadline() }),
      ),
    );
    results.forEach((res, k) => {
      const out = Object.fromEntries(res.outputs.map((o) => [o.name, o]));
      expect(Array.from(out.b_out.data as Uint8Array)).toEqual([1, 0, k % 2]);
      expect(Array.from(out.h_out.data as Uint16Array)).toEqual([0x3c00 + k, 0xc000]);
      expect(Array.from(out.i_out.data as BigInt64Array)).toEqual([2n ** 62n + BigInt(k), -5n]);
      expect((out.s_out.data as Buffer[]).map(String)).toEqual([`héllo${k}`, '']);
      expect(Array.from(out.d_out.data as Float64Array)).toEqual([Math.PI * k]);
      expect(out.s_out.shape).toEqual([1, 2]);
    });
    expect(observer.batches.filter((b) => b.model === 'identity-types').map((b) => b.requests)).toEqual([3]);
  });

  test('bad requests are 400, unknown models and versions 404', async () => {
    const wrong = { name: 'input', datatype: 'FP32' as const, shape: [1, 29], data: new Float32Array(29) };
    expect(
      await status(engine.infer('breast-cancer', undefined, { inputs: [wrong], deadline: farDeadline() })),
    ).toBe(400);
    expect(
      await status(
        engine.infer('breast-cancer', undefined, {
          inputs: [fp32Rows('input', 65, 30, 1)],
          deadline: farDeadline(),
        }),
      ),
    ).toBe(400);
    expect(await status(engine.infer('nope', undefined, { inputs: [], deadline: farDeadline() }))).toBe(404);
    expect(await status(engine.infer('breast-cancer', '7', { inputs: [], deadline: farDeadline() }))).toBe(
      404,
    );
    expect(await status(() => engine.metadata('nope'))).toBe(404);
    expect(await status(() => engine.modelReady('breast-cancer', '9'))).toBe(404);
    expect(await status(engine.load('nope'))).toBe(404);
    expect(engine.modelReady('breast-cancer', '1')).toBe(true);
  });

  test('modelConfig exposes the validated config', () => {
    expect(engine.modelConfig('breast-cancer').fallback?.model).toBe('breast-cancer-lite');
  });
});

describe('engine: version policy', () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['latest 1', { latest: { num_versions: 1 } }, ['2']],
    ['all', { all: {} }, ['1', '2']],
    ['specific [1]', { specific: { versions: [1] } }, ['1']],
  ];
  test.each(cases)('%s', async (_label, policy, expected) => {
    const repo = new TempRepo({
      'breast-cancer': {
        from: join(BUNDLED, 'breast-cancer'),
        versions: ['1', '2'],
        config: { version_policy: policy },
      },
    });
    const engine = createEngine({ repositoryPath: repo.path });
    try {
      await engine.loaded;
      expect(engine.metadata('breast-cancer').versions).toEqual(expected);
      expect(engine.index().map((e) => e.version)).toEqual(expected);
    } finally {
      await engine.close();
      repo.remove();
    }
  });

  test('a specific version missing on disk is UNAVAILABLE with the reason', async () => {
    const repo = new TempRepo({
      'breast-cancer': {
        from: join(BUNDLED, 'breast-cancer'),
        config: { version_policy: { specific: { versions: [1, 3] } } },
      },
    });
    const engine = createEngine({ repositoryPath: repo.path });
    try {
      await engine.loaded;
      const v3 = engine.index().find((e) => e.version === '3')!;
      expect(v3.state).toBe('UNAVAILABLE');
      expect(v3.reason).toMatch(/3\/model\.onnx does not exist/);
      expect(engine.modelReady('breast-cancer', '1')).toBe(true);
    } finally {
      await engine.close();
      repo.remove();
    }
  });
});

describe('engine: broken models', () => {
  test('corrupt, incompatible and badly configured models fail with a clear reason; the rest serve', async () => {
    const repo = new TempRepo({
      'breast-cancer-lite': { from: join(BUNDLED, 'breast-cancer-lite') },
      corrupt: { from: join(FAULTS, 'corrupt') },
      incompatible: { from: join(FAULTS, 'incompatible') },
      misconfigured: { from: join(BUNDLED, 'breast-cancer-lite'), config: { max_batch_size: -1 } },
    });
    const observer = new RecordingObserver();
    const engine = createEngine({ repositoryPath: repo.path, observer });
    try {
      await engine.loaded;
      const byName = Object.fromEntries(engine.index().map((e) => [e.name, e]));
      expect(byName['breast-cancer-lite'].state).toBe('READY');
      expect(byName.corrupt).toMatchObject({ version: '1', state: 'UNAVAILABLE' });
      expect(byName.corrupt.reason).toMatch(
        /corrupt\/1\/model\.onnx: onnxruntime cannot load it: .*[Pp]rotobuf parsing failed/,
      );
      expect(byName.incompatible.reason).toBe(
        "config.json input 'input': datatype INT32 contradicts the ONNX model, which declares FP32",
      );
      expect(byName.misconfigured.state).toBe('UNAVAILABLE');
      expect(byName.misconfigured.reason).toMatch(
        /misconfigured\/config\.json: max_batch_size: got -1; .*>=0/,
      );
      expect(engine.isReady()).toBe(false);
      expect(
        observer.loads
          .filter((l) => !l.ok)
          .map((l) => l.model)
          .sort(),
      ).toEqual(['corrupt', 'incompatible']);
      expect(await status(engine.infer('corrupt', undefined, { inputs: [], deadline: farDeadline() }))).toBe(
        503,
      );
      // Unloading the broken ones leaves a ready server: readiness covers the models meant to serve.
      for (const m of ['corrupt', 'incompatible', 'misconfigured']) await engine.unload(m);
      expect(engine.isReady()).toBe(true);
    } finally {
      await engine.close();
      repo.remove();
    }
  });
});

describe('engine: inline execution', () => {
  test('running onnxruntime on the event loop thread gives the same answers as the worker thread', async () => {
    const repo = new TempRepo({
      'breast-cancer': { from: join(BUNDLED, 'breast-cancer'), versions: ['1', '2'] },
    });
    const inline = createEngine({ repositoryPath: repo.path, execution: 'inline' });
    const worker = createEngine({ repositoryPath: repo.path, execution: 'worker' });
    try {
      await Promise.all([inline.loaded, worker.loaded]);
      const request = () => ({ inputs: [fp32Rows('input', 3, 30, 9)], deadline: farDeadline() });
      const [a, b] = await Promise.all([
        inline.infer('breast-cancer', undefined, request()),
        worker.infer('breast-cancer', undefined, request()),
      ]);
      expect(a.outputs.map((o) => [o.name, o.shape, Array.from(o.data as ArrayLike<unknown>)])).toEqual(
        b.outputs.map((o) => [o.name, o.shape, Array.from(o.data as ArrayLike<unknown>)]),
      );
    } finally {
      await Promise.all([inline.close(), worker.close()]);
      repo.remove();
    }
  });
});

describe('engine: repository path', () => {
  test('a missing repository directory is an error at once', () => {
    expect(() => createEngine({ repositoryPath: join(BUNDLED, 'no-such-dir') })).toThrow(
      /no-such-dir is not a directory/,
    );
  });
});

describe('engine: execution providers', () => {
  test('cuda falls back to cpu with a warning when this build or machine lacks it', async () => {
    const repo = new TempRepo({
      'breast-cancer-lite': {
        from: join(BUNDLED, 'breast-cancer-lite'),
        config: { session: { execution_providers: ['cuda'] } },
      },
    });
    const warnings: string[] = [];
    const logger: EngineLogger = {
      debug: () => undefined,
      info: () => undefined,
      error: () => undefined,
      warn: (_obj, msg) => void warnings.push(msg),
    };
    const engine = createEngine({ repositoryPath: repo.path, logger });
    try {
      await engine.loaded;
      expect(engine.isReady()).toBe(true);
      const res = await engine.infer('breast-cancer-lite', undefined, {
        inputs: [fp32Rows('input', 1, 30, 3)],
        deadline: farDeadline(),
      });
      expect(res.outputs).toHaveLength(2);
      // On a machine with a CUDA build the provider loads and nothing is logged.
      for (const w of warnings) expect(w).toMatch(/CUDA execution provider unavailable; falling back to CPU/);
    } finally {
      await engine.close();
      repo.remove();
    }
  });
});
