import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OptimizationReport } from '../optimize/report';
import {
  REPO_ROOT,
  startServiceProcess,
  waitReady,
  type ServiceProcess,
} from '../../test/support/service-process';

/**
 * `npm run model:optimize` as a process (node -r tsx/cjs, the npm script's entry) on temporary
 * copies of real models: onnxruntime's quantiser in the command's own venv (created on first use,
 * so the first test may take a minute), onnxruntime-node for validation, the real service for
 * serving the published version. models/ itself is never written.
 */
jest.setTimeout(600_000);

const CLI = path.join(REPO_ROOT, 'models', 'optimize', 'cli.ts');
const BUNDLED = path.join(REPO_ROOT, 'models');
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'models');
// Short timing: the test checks behaviour; docs/benchmarks.md has the real timings.
const QUICK = ['--rounds', '2', '--round-ms', '20'];

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCommand(args: string[], env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', CLI, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A temporary repository holding copies (not links: the command must not write through) of models. */
function copyRepo(models: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'optimize-repo-'));
  for (const [name, from] of Object.entries(models)) cpSync(from, path.join(root, name), { recursive: true });
  return root;
}

/** Every file under `dir` with its content hash: equal snapshots mean nothing was written. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha1').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

const cleanup: string[] = [];
afterAll(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = (dir: string) => (cleanup.push(dir), dir);

describe('publishing an INT8 version that the running service then loads and serves', () => {
  let repo: string;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    // Only version 1: the command publishes the next version itself.
    repo = temp(copyRepo({ 'digits-mlp': path.join(BUNDLED, 'digits-mlp') }));
    for (const v of readdirSync(path.join(repo, 'digits-mlp')).filter((d) => /^\d+$/.test(d) && d !== '1')) {
      rmSync(path.join(repo, 'digits-mlp', v), { recursive: true });
    }
    const config = JSON.parse(readFileSync(path.join(repo, 'digits-mlp', 'config.json'), 'utf8'));
    delete config.traffic;
    delete config.version_policy;
    writeFileSync(path.join(repo, 'digits-mlp', 'config.json'), JSON.stringify(config));
    service = await startServiceProcess({ MODEL_REPOSITORY: repo }, 60_000);
    await waitReady(service, 60_000);
  });
  afterAll(() => service?.stop());

  it('quantises, passes the gate, publishes v2 as a canary; the service loads it and matches its report', async () => {
    const ran = await runCommand(['--model', 'digits-mlp', '--mode', 'dynamic', '--publish', ...QUICK], {
      MODEL_REPOSITORY: repo,
    });
    expect(ran.stderr).not.toMatch(/Error/);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/gate passed; published as .*digits-mlp[/\\]2 \(canary at 10%\)/);

    const dir = path.join(repo, 'digits-mlp', '2');
    expect(readdirSync(dir).sort()).toEqual([
      'model.onnx',
      'optimization-report.json',
      'optimization-report.md',
      'optimization-report.svg',
    ]);
    const report = JSON.parse(
      readFileSync(path.join(dir, 'optimization-report.json'), 'utf8'),
    ) as OptimizationReport;
    expect(report).toMatchObject({
      model: 'digits-mlp',
      source_version: '1',
      mode: 'dynamic',
      published_version: '2',
    });
    expect(report.gate.passed).toBe(true);
    expect(report.size_bytes.optimized).toBe(statSync(path.join(dir, 'model.onnx')).size);
    expect(report.size_bytes.optimized).toBeLessThan(report.size_bytes.original / 3);
    expect(Object.keys(report.method.quantised_ops as object)).toContain('MatMulInteger');
    expect(report.latency.batches.map((b) => b.batch)).toEqual([1, 32]);
    expect(readFileSync(path.join(dir, 'optimization-report.svg'), 'utf8')).toMatch(/^<svg /);
    expect(readFileSync(path.join(dir, 'optimization-report.md'), 'utf8')).toContain(
      '](optimization-report.svg)',
    );

    const config = JSON.parse(readFileSync(path.join(repo, 'digits-mlp', 'config.json'), 'utf8'));
    expect(config.traffic).toEqual({ stable: '1', canary: { version: '2', weight_pct: 10 } });
    expect(config.version_policy).toEqual({ latest: { num_versions: 2 } });

    // The running service picks the version up through its repository API, without a restart.
    const url = service!.url;
    expect((await fetch(`${url}/v2/models/digits-mlp/versions/2/ready`)).status).toBe(404);
    expect((await fetch(`${url}/v2/repository/models/digits-mlp/load`, { method: 'POST' })).status).toBe(200);
    expect((await fetch(`${url}/v2/models/digits-mlp/versions/2/ready`)).status).toBe(200);

    const split = JSON.parse(
      readFileSync(path.join(repo, 'digits-mlp', 'testdata', 'test.json'), 'utf8'),
    ) as {
      inputs: number[][];
      labels: number[];
    };
    let correct = 0;
    for (let i = 0; i < split.inputs.length; i += 64) {
      const rows = split.inputs.slice(i, i + 64);
      const res = await fetch(`${url}/v2/models/digits-mlp/versions/2/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 64], data: rows.flat() }],
          outputs: [{ name: 'label' }],
        }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        model_version: string;
        outputs: { name: string; data: number[] }[];
      };
      expect(body.model_version).toBe('2');
      body.outputs[0].data.forEach((label, j) => label === split.labels[i + j] && correct++);
    }
    expect(correct / split.labels.length).toBe(report.metric.optimized);
  });
});

describe('a gate that cannot be met', () => {
  it('prints each failed threshold with its numbers, exits 1 and publishes nothing', async () => {
    const repo = temp(copyRepo({ 'int8-fragile': path.join(FIXTURES, 'int8-fragile') }));
    const out = temp(mkdtempSync(path.join(tmpdir(), 'optimize-out-')));
    const before = snapshot(repo);
    const ran = await runCommand(['--model', 'int8-fragile', '--publish', '--out', out, ...QUICK], {
      MODEL_REPOSITORY: repo,
    });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain('gate failed, nothing published');
    expect(ran.stderr).toMatch(/min_agreement: top-1 agreement 0\.\d{4} is below the required 0\.99/);
    expect(ran.stderr).toMatch(
      /max_metric_drop: accuracy fell by 0\.\d{4} \(1\.0000 -> 0\.\d{4}\), more than the allowed 0\.005/,
    );
    expect(snapshot(repo)).toEqual(before);
    // The report of the failed attempt is kept outside the repository for a person to read.
    const report = JSON.parse(
      readFileSync(path.join(out, 'optimization-report.json'), 'utf8'),
    ) as OptimizationReport;
    expect(report.gate.passed).toBe(false);
    expect(report.published_version).toBeNull();
    expect(report.agreement).toBeLessThan(0.99);
  });
});

describe('static and graph modes, without publishing', () => {
  it.each([
    ['static', { format: 'QDQ', calibration: expect.stringContaining('testdata/calibration.json') }],
    ['graph', { optimizer: 'onnxruntime-node optimizedModelFilePath', level: 'extended' }],
  ])('%s writes its report and model to --out and leaves the repository alone', async (mode, method) => {
    const repo = temp(copyRepo({ 'digits-mlp': path.join(BUNDLED, 'digits-mlp') }));
    const out = temp(mkdtempSync(path.join(tmpdir(), 'optimize-out-')));
    const before = snapshot(repo);
    const ran = await runCommand(
      ['--model', 'digits-mlp', '--version', '1', '--mode', mode, '--out', out, ...QUICK],
      {
        MODEL_REPOSITORY: repo,
      },
    );
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('add --publish to publish');
    expect(snapshot(repo)).toEqual(before);
    const report = JSON.parse(
      readFileSync(path.join(out, 'optimization-report.json'), 'utf8'),
    ) as OptimizationReport;
    expect(report.method).toMatchObject(method);
    expect(report.metric.drop).toBeLessThanOrEqual(0.005);
    expect(statSync(path.join(out, 'model.onnx')).size).toBe(report.size_bytes.optimized);
  });
});

describe('bad input: a clear error, exit 1, the repository unchanged', () => {
  let repo: string;
  let before: Record<string, string>;
  beforeAll(() => {
    repo = temp(
      copyRepo({
        'breast-cancer': path.join(BUNDLED, 'breast-cancer'),
        'breast-cancer-lite': path.join(BUNDLED, 'breast-cancer-lite'),
        corrupt: path.join(FIXTURES, 'corrupt'),
      }),
    );
    // Held-out data of the right width, so that the corrupt file itself is what fails.
    mkdirSync(path.join(repo, 'corrupt', 'testdata'));
    cpSync(
      path.join(BUNDLED, 'breast-cancer', 'testdata', 'test.json'),
      path.join(repo, 'corrupt', 'testdata', 'test.json'),
    );
    before = snapshot(repo);
  });
  afterEach(() => expect(snapshot(repo)).toEqual(before));

  it.each([
    [
      'an unknown model',
      ['--model', 'nope'],
      {},
      /unknown model 'nope': no .*nope[/\\]config\.json \(models in .*: breast-cancer, breast-cancer-lite, corrupt\)/,
    ],
    [
      'a model with no held-out data',
      ['--model', 'breast-cancer-lite'],
      {},
      /model 'breast-cancer-lite' has no held-out data: expected .*testdata[/\\]test\.json/,
    ],
    [
      'a corrupt ONNX file',
      ['--model', 'corrupt'],
      {},
      /corrupt[/\\]1[/\\]model\.onnx: onnxruntime cannot load it: .*Protobuf parsing failed/,
    ],
    [
      'a model the quantiser cannot handle (a tree ensemble: no MatMul to quantise)',
      ['--model', 'breast-cancer', '--version', '2'],
      {},
      /the INT8 quantiser cannot handle .*breast-cancer[/\\]2[/\\]model\.onnx: onnxruntime\.quantization dynamic quantised no operator/,
    ],
    [
      'an unknown version',
      ['--model', 'breast-cancer', '--version', '7'],
      {},
      /model 'breast-cancer' has no version '7'.*\(versions: 1, 2\)/,
    ],
    [
      'no python3 to create the venv with',
      ['--model', 'breast-cancer', '--version', '1'],
      { OPTIMIZE_PYTHON: 'python3-not-installed', OPTIMIZE_VENV: path.join(tmpdir(), 'optimize-no-venv') },
      /INT8 quantisation needs Python 3 \(onnxruntime\.quantization\), but 'python3-not-installed' was not found on PATH/,
    ],
  ])('%s', async (_what, args, env, message) => {
    const ran = await runCommand([...args, '--publish', ...QUICK], { MODEL_REPOSITORY: repo, ...env });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(message);
    expect(ran.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  it('a usage error exits 2 and names the argument', async () => {
    const ran = await runCommand(['--model', 'breast-cancer', '--mode', 'fast'], { MODEL_REPOSITORY: repo });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain("--mode: got 'fast', expected one of dynamic, static, graph");
  });
});
