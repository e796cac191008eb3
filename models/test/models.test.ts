import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { datatypeFromOrt } from '@ml-platform/service/core/datatypes';
import type { Datatype } from '@ml-platform/service/core/tensor';
import { checkSignature, loadFeatureSpec } from '@ml-platform/service/features/serving';
import { ModelConfigSchema, type ModelConfig } from '@ml-platform/service/repository/model-config';

const ROOT = path.resolve(__dirname, '../..');
const BUNDLED = path.join(ROOT, 'models');
const FIXTURES = path.join(ROOT, 'test/fixtures/models');

/** Fixtures whose ONNX file is broken on purpose; their configs are still valid. */
const BROKEN = new Set(['corrupt', 'incompatible']);

interface ModelDir {
  repo: string;
  name: string;
  dir: string;
  config: ModelConfig;
  versions: string[];
}

function modelDirs(repo: string): ModelDir[] {
  return readdirSync(repo, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(repo, e.name, 'config.json')))
    .map((e) => {
      const dir = path.join(repo, e.name);
      const config = ModelConfigSchema.parse(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')));
      const versions = readdirSync(dir).filter((v) => /^[1-9]\d*$/.test(v));
      return { repo, name: e.name, dir, config, versions };
    });
}

const bundled = modelDirs(BUNDLED);
const fixtures = modelDirs(FIXTURES);
const loadable = [...bundled, ...fixtures.filter((m) => !BROKEN.has(m.name))];

function openSession(file: string): Promise<ort.InferenceSession> {
  // Severity 4 (fatal only): the flaky runs below fail on purpose and onnxruntime would log each one.
  return ort.InferenceSession.create(file, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    logSeverityLevel: 4,
  });
}

function modelFile(m: ModelDir, version = m.versions[0]): string {
  return path.join(m.dir, version, 'model.onnx');
}

interface Signature {
  name: string;
  datatype: string | undefined;
  shape: readonly (number | string)[];
}

function signature(meta: readonly ort.InferenceSession.ValueMetadata[]): Signature[] {
  return meta.map((v) => {
    if (!v.isTensor) throw new Error(`${v.name} is not a tensor`);
    return { name: v.name, datatype: datatypeFromOrt(v.type), shape: v.shape };
  });
}

/** The config's dims describe a row: the ONNX shape without its batch dimension, when there is one. */
function rowShape(shape: readonly (number | string)[], maxBatchSize: number): (number | string)[] {
  return maxBatchSize > 0 ? shape.slice(1) : [...shape];
}

function expectSignatureMatches(actual: Signature[], declared: ModelConfig['input'], maxBatchSize: number) {
  for (const d of declared ?? []) {
    const found = actual.find((a) => a.name === d.name);
    expect(found).toBeDefined();
    if (d.datatype) expect(found?.datatype).toBe(d.datatype);
    if (d.dims) expect(rowShape(found?.shape ?? [], maxBatchSize)).toEqual(d.dims);
    if (maxBatchSize > 0) expect(typeof found?.shape[0]).toBe('string');
  }
}

describe('model configs', () => {
  it('finds the bundled models and the fault fixtures', () => {
    expect(bundled.map((m) => m.name).sort()).toEqual([
      'breast-cancer',
      'breast-cancer-lite',
      'digits',
      'digits-mlp',
      'flights-delay',
      'heavy-mlp',
    ]);
    expect(fixtures.map((m) => m.name).sort()).toEqual([
      'corrupt',
      'flaky',
      'flaky-fallback',
      'flaky-slow',
      'incompatible',
      'int8-fragile',
      'slow',
    ]);
  });

  it.each([...bundled, ...fixtures].map((m) => [m.name, m] as const))(
    '%s: config.json validates, names its directory and its fallback exists',
    (_name, m) => {
      const raw = JSON.parse(readFileSync(path.join(m.dir, 'config.json'), 'utf8'));
      const parsed = ModelConfigSchema.safeParse(raw);
      expect(parsed.error?.issues).toBeUndefined();
      expect(m.config.name).toBe(m.name);
      expect(m.versions.length).toBeGreaterThan(0);
      const fallback = m.config.fallback?.model;
      if (fallback) expect(existsSync(path.join(m.repo, fallback, 'config.json'))).toBe(true);
    },
  );

  it('serves two breast-cancer versions under latest-2', () => {
    const m = bundled.find((b) => b.name === 'breast-cancer');
    expect(m?.versions.sort()).toEqual(['1', '2']);
    expect(m?.config.version_policy).toEqual({ latest: { num_versions: 2 } });
  });

  it('covers FP32, INT64 and UINT8, two outputs and a model without a batch dimension', () => {
    const datatypes = new Set(
      bundled.flatMap((m) => [...(m.config.input ?? []), ...(m.config.output ?? [])]),
    );
    expect([...datatypes].map((t) => t.datatype)).toEqual(expect.arrayContaining(['FP32', 'INT64', 'UINT8']));
    expect(bundled.some((m) => (m.config.output ?? []).length >= 2)).toBe(true);
    expect(bundled.some((m) => m.config.max_batch_size === 0)).toBe(true);
  });
});

describe('onnx files', () => {
  it.each(loadable.flatMap((m) => m.versions.map((v) => [`${m.name}/${v}`, m, v] as const)))(
    '%s opens in onnxruntime-node with the signature its config declares',
    async (_id, m, version) => {
      const session = await openSession(modelFile(m, version));
      try {
        const inputs = signature(session.inputMetadata);
        const outputs = signature(session.outputMetadata);
        expect(inputs.map((s) => s.name)).toEqual(m.config.input?.map((t) => t.name));
        expect(outputs.map((s) => s.name)).toEqual(m.config.output?.map((t) => t.name));
        expectSignatureMatches(inputs, m.config.input, m.config.max_batch_size);
        expectSignatureMatches(outputs, m.config.output, m.config.max_batch_size);
      } finally {
        await session.release();
      }
    },
  );

  it('corrupt/1 fails to load with an error', async () => {
    const m = fixtures.find((f) => f.name === 'corrupt');
    await expect(openSession(modelFile(m!))).rejects.toThrow(/protobuf|parse|load/i);
  });

  it('incompatible/1 loads but contradicts its config (FP32 model, INT32 config)', async () => {
    const m = fixtures.find((f) => f.name === 'incompatible')!;
    const session = await openSession(modelFile(m));
    try {
      expect(signature(session.inputMetadata)).toEqual([
        { name: 'input', datatype: 'FP32', shape: ['batch', 4] },
      ]);
      expect(m.config.input).toEqual([{ name: 'input', datatype: 'INT32', dims: [4] }]);
    } finally {
      await session.release();
    }
  });
});

interface HeldOut {
  inputs: number[][];
  labels: number[];
}

interface Metrics {
  n: number;
  [version: string]: number | { accuracy: number; correct: number };
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

async function countCorrect(file: string, split: HeldOut, toFeeds: (rows: number[][]) => ort.Tensor[]) {
  const session = await openSession(file);
  try {
    let correct = 0;
    let offset = 0;
    for (const feed of toFeeds(split.inputs)) {
      const out = await session.run({ [session.inputNames[0]]: feed });
      const labels = Array.from(out.label.data as BigInt64Array, Number);
      labels.forEach((label, j) => {
        if (label === split.labels[offset + j]) correct++;
      });
      offset += labels.length;
    }
    return correct;
  } finally {
    await session.release();
  }
}

describe('held-out accuracy reproduces the numbers recorded at training time', () => {
  const split = readJson<HeldOut>(path.join(BUNDLED, 'breast-cancer/testdata/test.json'));
  const asBatch = (rows: number[][]) => [
    new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, rows[0].length]),
  ];

  it('the breast-cancer split is stratified held-out data with 30 features per row', () => {
    expect(split.inputs.length).toBe(split.labels.length);
    expect(split.inputs.every((r) => r.length === 30)).toBe(true);
    expect(new Set(split.labels)).toEqual(new Set([0, 1]));
  });

  it.each([
    ['breast-cancer', '1'],
    ['breast-cancer', '2'],
    ['breast-cancer-lite', '1'],
  ])('%s v%s', async (name, version) => {
    const metrics = readJson<Metrics>(path.join(BUNDLED, name, 'testdata/metrics.json'));
    const recorded = metrics[version] as { accuracy: number; correct: number };
    expect(metrics.n).toBe(split.labels.length);
    const correct = await countCorrect(path.join(BUNDLED, name, version, 'model.onnx'), split, asBatch);
    expect(correct).toBe(recorded.correct);
    expect(correct / split.labels.length).toBe(recorded.accuracy);
  });

  it('the fallback is cheaper and less accurate than both breast-cancer versions', () => {
    const full = readJson<Metrics>(path.join(BUNDLED, 'breast-cancer/testdata/metrics.json'));
    const lite = readJson<Metrics>(path.join(BUNDLED, 'breast-cancer-lite/testdata/metrics.json'));
    const acc = (m: Metrics, v: string) => (m[v] as { accuracy: number }).accuracy;
    expect(acc(lite, '1')).toBeLessThan(Math.min(acc(full, '1'), acc(full, '2')));
    expect(acc(lite, '1')).toBeGreaterThan(0.85);
  });

  it('digits v1, one UINT8 image per run', async () => {
    const digits = readJson<HeldOut>(path.join(BUNDLED, 'digits/testdata/test.json'));
    const metrics = readJson<Metrics>(path.join(BUNDLED, 'digits/testdata/metrics.json'));
    expect(digits.inputs.every((r) => r.length === 64 && r.every((p) => p >= 0 && p <= 16))).toBe(true);
    const perImage = (rows: number[][]) => rows.map((r) => new ort.Tensor('uint8', Uint8Array.from(r), [64]));
    const correct = await countCorrect(path.join(BUNDLED, 'digits/1/model.onnx'), digits, perImage);
    expect(metrics.n).toBe(digits.labels.length);
    expect(correct).toBe((metrics['1'] as { correct: number }).correct);
  });
});

describe('feature specs', () => {
  const withSpecs = bundled.filter((m) => existsSync(path.join(m.dir, 'features.json')));

  it('flights-delay ships one', () => {
    expect(withSpecs.map((m) => m.name)).toEqual(['flights-delay']);
  });

  it.each(withSpecs.map((m) => [m.name, m] as const))(
    '%s: features.json is fitted and maps onto the ONNX signature of the version it names',
    async (_name, m) => {
      const compiled = loadFeatureSpec(BUNDLED, m.name)!;
      const session = await openSession(modelFile(m, compiled.spec.model_version));
      try {
        const inputs = signature(session.inputMetadata).map((s) => ({
          name: s.name,
          datatype: s.datatype as Datatype,
          shape: s.shape.map((d) => (typeof d === 'number' ? d : -1)),
        }));
        expect(() =>
          checkSignature(compiled, {
            name: m.name,
            versions: m.versions,
            platform: 'onnx',
            inputs,
            outputs: [],
          }),
        ).not.toThrow();
      } finally {
        await session.release();
      }
    },
  );

  it('flights-delay records a held-out AUC and accuracy against the majority-class baseline', () => {
    const metrics = readJson<{ auc: number; accuracy: number; baseline_accuracy: number }>(
      path.join(BUNDLED, 'flights-delay/testdata/metrics.json'),
    );
    expect(metrics.auc).toBeGreaterThan(0.6);
    expect(metrics.accuracy).toBeGreaterThanOrEqual(metrics.baseline_accuracy);
  });
});

describe('digits-mlp', () => {
  const split = readJson<HeldOut>(path.join(BUNDLED, 'digits-mlp/testdata/test.json'));
  const metrics = readJson<Metrics>(path.join(BUNDLED, 'digits-mlp/testdata/metrics.json'));
  const asBatch = (rows: number[][]) => [
    new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, rows[0].length]),
  ];

  it('holds out the same 450 images as digits, as FP32 rows', () => {
    const digits = readJson<HeldOut>(path.join(BUNDLED, 'digits/testdata/test.json'));
    expect(split).toEqual(digits);
  });

  it('v1 reproduces its recorded accuracy in one batch', async () => {
    const correct = await countCorrect(path.join(BUNDLED, 'digits-mlp/1/model.onnx'), split, asBatch);
    expect(correct).toBe((metrics['1'] as { correct: number }).correct);
  });

  it('v2, the INT8 model published by model:optimize, reproduces the accuracy its report records', async () => {
    const report = readJson<{ source_version: string; metric: { name: string; optimized: number } }>(
      path.join(BUNDLED, 'digits-mlp/2/optimization-report.json'),
    );
    expect(report.source_version).toBe('1');
    expect(report.metric.name).toBe('accuracy');
    // Dynamic INT8 quantises activations with one range per run, so a row's answer depends on the
    // rows batched with it: feed the 64-row runs the command validated with.
    const in64 = (rows: number[][]) =>
      Array.from(
        { length: Math.ceil(rows.length / 64) },
        (_, i) => asBatch(rows.slice(i * 64, i * 64 + 64))[0],
      );
    const correct = await countCorrect(path.join(BUNDLED, 'digits-mlp/2/model.onnx'), split, in64);
    expect(correct / split.labels.length).toBe(report.metric.optimized);
  });
});

describe('heavy-mlp', () => {
  it('maps a batch of 64 rows to 64 x 16 finite outputs, row by row the same as alone', async () => {
    const m = bundled.find((b) => b.name === 'heavy-mlp')!;
    const session = await openSession(modelFile(m));
    try {
      const rows = 64;
      const x = Float32Array.from({ length: rows * 256 }, (_, i) => Math.sin(i));
      const batched = await session.run({ input: new ort.Tensor('float32', x, [rows, 256]) });
      expect(batched.output.dims).toEqual([rows, 16]);
      const out = batched.output.data as Float32Array;
      expect(out.every(Number.isFinite)).toBe(true);
      const last = await session.run({ input: new ort.Tensor('float32', x.slice(63 * 256), [1, 256]) });
      const alone = Array.from(last.output.data as Float32Array);
      Array.from(out.slice(63 * 16)).forEach((v, i) => expect(v).toBeCloseTo(alone[i], 3));
    } finally {
      await session.release();
    }
  });
});

describe('flaky fixture', () => {
  const flaky = fixtures.find((f) => f.name === 'flaky')!;
  const fallback = fixtures.find((f) => f.name === 'flaky-fallback')!;
  const indexTensor = (values: number[]) =>
    new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [values.length, 1]);
  let session: ort.InferenceSession;
  let fallbackSession: ort.InferenceSession;

  beforeAll(async () => {
    session = await openSession(modelFile(flaky));
    fallbackSession = await openSession(modelFile(fallback));
  });
  afterAll(async () => {
    await session.release();
    await fallbackSession.release();
  });

  it('answers table[index] = index / 10 for in-range indices, negatives wrapping', async () => {
    const out = await session.run({ index: indexTensor([0, 3, 9, -1, -10]) });
    expect(Array.from(out.value.data as Float32Array)).toEqual([0, 0.3, 0.9, 0.9, 0].map(Math.fround));
  });

  it.each([[10], [-11], [12345]])('fails the run for index %d', async (bad) => {
    await expect(session.run({ index: indexTensor([bad]) })).rejects.toThrow(/out of data bounds/);
  });

  it('fails a whole batch that holds one bad index', async () => {
    await expect(session.run({ index: indexTensor([1, 2, 10]) })).rejects.toThrow(/out of data bounds/);
  });

  it('flaky-fallback answers every index and agrees with flaky where flaky works', async () => {
    const good = [0, 3, 9, -1, -10];
    const expected = Array.from((await session.run({ index: indexTensor(good) })).value.data as Float32Array);
    const agreed = await fallbackSession.run({ index: indexTensor(good) });
    expect(Array.from(agreed.value.data as Float32Array)).toEqual(expected);
    const wrapped = await fallbackSession.run({ index: indexTensor([10, -11, 12345]) });
    expect(Array.from(wrapped.value.data as Float32Array)).toEqual([0, 0.9, 0.5].map(Math.fround));
  });
});
