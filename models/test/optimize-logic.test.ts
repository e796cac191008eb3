import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from '../optimize/args';
import { parseLscpu } from '../optimize/cpu';
import { compare, type Predictions } from '../optimize/evaluate';
import { judge } from '../optimize/gate';
import { publishVersion, withCanary } from '../optimize/publish';
import { ModelConfigSchema } from '@ml-platform/service/repository/model-config';

describe('parseArgs', () => {
  it('defaults to dynamic mode, no publish, the models/ repository', () => {
    expect(parseArgs(['--model', 'm'], {})).toMatchObject({
      model: 'm',
      mode: 'dynamic',
      publish: false,
      repository: 'models',
      version: undefined,
    });
    expect(
      parseArgs(['--model', 'm', '--publish', '--mode', 'graph'], { MODEL_REPOSITORY: '/r' }),
    ).toMatchObject({ mode: 'graph', publish: true, repository: '/r' });
  });

  it.each([
    [[], /--model is required/],
    [['--model'], /--model needs a value/],
    [['--model', 'm', '--version', 'latest'], /--version: got 'latest', expected a version number/],
    [['--model', 'm', '--rounds', '0'], /--rounds: got '0', expected a positive integer/],
    [['--model', 'm', '--fast'], /unknown argument '--fast'/],
  ])('%j is refused with exit code 2', (argv, message) => {
    expect(() => parseArgs(argv, {})).toThrow(message);
    try {
      parseArgs(argv, {});
    } catch (e) {
      expect((e as { exitCode: number }).exitCode).toBe(2);
    }
  });
});

describe('the optimization config block', () => {
  const base = { name: 'm', max_batch_size: 8 };
  it('accepts the thresholds and defaults the canary weight to 10%', () => {
    const parsed = ModelConfigSchema.parse({
      ...base,
      optimization: { max_metric_drop: 0.005, min_agreement: 0.99 },
    });
    expect(parsed.optimization).toEqual({
      max_metric_drop: 0.005,
      min_agreement: 0.99,
      canary_weight_pct: 10,
    });
  });

  it.each([
    [{ max_metric_drop: -0.1, min_agreement: 0.99 }, 'max_metric_drop', /must be >= 0/],
    [{ max_metric_drop: 0.01, min_agreement: 99 }, 'min_agreement', /share between 0 and 1/],
    [{ max_metric_drop: 0.01 }, 'min_agreement', /./],
    [{ max_metric_drop: 0.01, min_agreement: 0.9, speed: 2 }, '', /speed/],
  ])('%j is refused, naming %s', (optimization, field, message) => {
    const parsed = ModelConfigSchema.safeParse({ ...base, optimization });
    expect(parsed.success).toBe(false);
    const issue = parsed.error!.issues[0];
    expect(issue.path.join('.')).toBe(field ? `optimization.${field}` : 'optimization');
    expect(issue.message).toMatch(message);
  });
});

describe('compare and judge', () => {
  const heldOut = { file: 't.json', inputs: [[0], [1], [2], [3]], labels: [0, 1, 1, 0] };
  const preds = (labels: number[], scores: number[][]): Predictions => ({ labels, scores, scoreOutput: 'p' });
  const original = preds(
    [0, 1, 1, 1],
    [
      [0.9, 0.1],
      [0.2, 0.8],
      [0.3, 0.7],
      [0.4, 0.6],
    ],
  );

  it('measures accuracy, its drop, top-1 agreement and score differences', () => {
    const optimized = preds(
      [0, 1, 0, 1],
      [
        [0.9, 0.1],
        [0.2, 0.8],
        [0.6, 0.4],
        [0.4, 0.6],
      ],
    );
    const c = compare(original, optimized, heldOut);
    expect(c.metric).toEqual({ name: 'accuracy', original: 0.75, optimized: 0.5, drop: 0.25 });
    expect(c.agreement).toBe(0.75);
    expect(c.scores.max_abs_diff).toBeCloseTo(0.3, 12);
    expect(c.scores.mean_abs_diff).toBeCloseTo(0.6 / 8, 12);
    expect(judge(c, { max_metric_drop: 0.005, min_agreement: 0.99, canary_weight_pct: 10 })).toEqual({
      passed: false,
      failures: [
        'max_metric_drop: accuracy fell by 0.2500 (0.7500 -> 0.5000), more than the allowed 0.005',
        'min_agreement: top-1 agreement 0.7500 is below the required 0.99',
      ],
    });
    expect(judge(c, { max_metric_drop: 0.25, min_agreement: 0.75, canary_weight_pct: 10 }).passed).toBe(true);
  });

  it('uses MAE for regressors, where a rise is the drop, and no agreement', () => {
    const reg = { file: 't.json', inputs: [[0], [1]], targets: [1, 2] };
    const c = compare(preds([], [[1], [2.5]]), preds([], [[1.2], [2.5]]), reg);
    expect(c.task).toBe('regression');
    expect(c.metric.name).toBe('mae');
    expect(c.metric.original).toBeCloseTo(0.25, 12);
    expect(c.metric.optimized).toBeCloseTo(0.35, 12);
    expect(c.metric.drop).toBeCloseTo(0.1, 12);
    expect(c.agreement).toBeNull();
    expect(judge(c, { max_metric_drop: 0.05, min_agreement: 0.99, canary_weight_pct: 10 }).failures).toEqual([
      'max_metric_drop: mae rose by 0.1000 (0.2500 -> 0.3500), more than the allowed 0.05',
    ]);
  });
});

describe('parseLscpu', () => {
  const lscpu = (flags: string) =>
    `Architecture:  x86_64\nModel name:    Intel(R) Xeon(R)\nFlags:         fpu ${flags} sse\n`;
  it('finds VNNI in AVX512-VNNI, AVX-VNNI or AMX-INT8 and keeps the relevant flags', () => {
    expect(parseLscpu(lscpu('avx2 avx512f avx512_vnni'))).toEqual({
      model_name: 'Intel(R) Xeon(R)',
      vnni: true,
      flags: ['avx2', 'avx512f', 'avx512_vnni'],
    });
    expect(parseLscpu(lscpu('avx2 avx_vnni')).vnni).toBe(true);
    expect(parseLscpu(lscpu('avx2 amx_int8')).vnni).toBe(true);
    expect(parseLscpu(lscpu('avx2 avx512f')).vnni).toBe(false);
  });
});

describe('withCanary', () => {
  const base = { name: 'm', max_batch_size: 8 };
  it('makes the new version the canary next to the stable one and widens latest-N to serve both', () => {
    expect(withCanary(base, '1', '2', 10)).toEqual({
      ...base,
      traffic: { stable: '1', canary: { version: '2', weight_pct: 10 } },
      version_policy: { latest: { num_versions: 2 } },
    });
    expect(
      withCanary({ ...base, version_policy: { latest: { num_versions: 2 } } }, '1', '3', 5).version_policy,
    ).toEqual({
      latest: { num_versions: 3 },
    });
  });

  it('keeps an existing stable version and adds the canary to a specific policy', () => {
    const raw = { ...base, traffic: { stable: '2' }, version_policy: { specific: { versions: [2] } } };
    expect(withCanary(raw, '1', '4', 25)).toMatchObject({
      traffic: { stable: '2', canary: { version: '4', weight_pct: 25 } },
      version_policy: { specific: { versions: [2, 4] } },
    });
  });
});

describe('publishVersion', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'publish-'));
    mkdirSync(path.join(dir, '1'));
    writeFileSync(path.join(dir, '1', 'model.onnx'), 'fp32');
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ name: 'm', max_batch_size: 8 }));
    writeFileSync(path.join(dir, 'int8.onnx'), 'int8');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds the next version with its files and rewrites the config', async () => {
    const p = await publishVersion(dir, [1], '1', { 'model.onnx': path.join(dir, 'int8.onnx') }, 10);
    expect(p.version).toBe('2');
    expect(readFileSync(path.join(dir, '2', 'model.onnx'), 'utf8')).toBe('int8');
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).traffic.canary).toEqual({
      version: '2',
      weight_pct: 10,
    });
  });

  it('takes the new version back out when the config cannot be written', async () => {
    // A directory where the config's temporary file goes makes that write fail after the version moved in.
    mkdirSync(path.join(dir, 'config.json.tmp'));
    await expect(
      publishVersion(dir, [1], '1', { 'model.onnx': path.join(dir, 'int8.onnx') }, 10),
    ).rejects.toThrow(/publishing .* v2 failed: EISDIR/);
    expect(readdirSync(dir).sort()).toEqual(['1', 'config.json', 'int8.onnx']);
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).traffic).toBeUndefined();
  });
});
