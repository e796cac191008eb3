import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { transformSync } from 'esbuild';
import { loadStackConfig } from '@ml-platform/stack-config';
import { bundleK6 } from '../src/build/bundle-k6';
import { evaluateThresholds, metricsFromK6Summary } from '../src/evaluate';
import { toK6Options } from '../src/k6-options';
import { INFER_CHECKS } from '../src/payload';
import type { LoadTestReport } from '../src/report/report';
import { buildScenario, SCENARIO_NAMES } from '../src/scenarios';

/**
 * k6 cannot run here, so the bundle is evaluated in a fresh V8 context with the k6 modules
 * replaced at import time by recording stand-ins; everything else in it is the shipped code.
 */
interface K6Calls {
  get: string[];
  post: Array<{ url: string; body: string; params: { headers: Record<string, string> } }>;
  checks: string[][];
}

type Bundle = {
  options: unknown;
  setup: () => { model: string; metadata: unknown };
  default: (data: unknown) => void;
  handleSummary: (data: unknown) => Record<string, string>;
};

const METADATA = {
  name: 'breast-cancer',
  versions: ['1'],
  platform: 'onnxruntime_onnx',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 30] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
};

function load(code: string, env: Record<string, string>): { bundle: Bundle; calls: K6Calls } {
  const calls: K6Calls = { get: [], post: [], checks: [] };
  const response = (status: number, body: unknown) => ({
    status,
    body: JSON.stringify(body),
    json: () => body,
  });
  const k6Modules: Record<string, unknown> = {
    k6: {
      __esModule: true,
      check: (res: unknown, sets: Record<string, (r: unknown) => boolean>) => {
        calls.checks.push(Object.keys(sets).filter((k) => sets[k](res)));
        return true;
      },
    },
    'k6/http': {
      __esModule: true,
      default: {
        get: (url: string) => {
          calls.get.push(url);
          return url.endsWith('/v2/models/breast-cancer')
            ? response(200, METADATA)
            : response(404, { error: 'no' });
        },
        post: (url: string, body: string, params: { headers: Record<string, string> }) => {
          calls.post.push({ url, body, params });
          if (url.endsWith('/v2/repository/index'))
            return response(200, [{ name: 'breast-cancer', state: 'READY' }]);
          return response(200, {
            outputs: [{ name: 'probabilities', shape: [1, 2], datatype: 'FP32', data: [0.2, 0.8] }],
          });
        },
      },
    },
  };
  const cjs = transformSync(code, { format: 'cjs', loader: 'js' }).code;
  const module = { exports: {} as Bundle };
  const requireK6 = (id: string) => {
    if (!(id in k6Modules)) throw new Error(`the bundle imports "${id}": only k6 modules may stay external`);
    return k6Modules[id];
  };
  vm.runInNewContext(cjs, { module, exports: module.exports, require: requireK6, __ENV: env });
  return { bundle: module.exports, calls };
}

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

describe('the k6 bundle', () => {
  let outDir: string;
  let code: string;

  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'k6-bundle-'));
    const files = await bundleK6(outDir);
    expect(files.map((f) => path.basename(f)).sort()).toEqual(['oip-grpc.js', 'oip-infer.js']);
    code = fs.readFileSync(path.join(outDir, 'oip-infer.js'), 'utf8');
  }, 60_000);

  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('is plain JavaScript whose only imports are k6 modules', () => {
    const imports = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    expect(imports.sort()).toEqual(['k6', 'k6/http']);
    expect(code).not.toMatch(/require\(|: string|interface /);
    // It takes the contract's plain names only; the zod wire schemas stay out of k6.
    expect(code).toContain('contract/src/names/');
    expect(code).not.toMatch(/zod/i);
    // esbuild lowers syntax to ES2017 but not library calls; newer built-ins may be missing in k6's runtime.
    expect(code).not.toMatch(
      /\.(fromEntries|flatMap|flat|matchAll|trimEnd|trimStart|replaceAll|allSettled|at)\(/,
    );
  });

  it.each(['dev', 'staging', 'prod', 'local'].flatMap((stack) => SCENARIO_NAMES.map((s) => [stack, s])))(
    'exports the options of the %s %s scenario definition',
    (stack, scenario) => {
      const { bundle } = load(code, { STACK: stack, SCENARIO: scenario, TARGET: 'http://127.0.0.1:9' });
      const expected = toK6Options(buildScenario(loadStackConfig(stack).sla, scenario as never));
      expect(plain(bundle.options)).toEqual(plain(expected));
    },
  );

  it('compresses the scenario when DURATION is set', () => {
    const { bundle } = load(code, {
      STACK: 'local',
      SCENARIO: 'stress',
      TARGET: 'http://127.0.0.1:9',
      DURATION: '6',
    });
    expect(plain(bundle.options)).toEqual(
      plain(toK6Options(buildScenario(loadStackConfig('local').sla, 'stress', 6))),
    );
  });

  it('fails at init with a message naming a missing or unknown setting', () => {
    expect(() => load(code, { SCENARIO: 'smoke', TARGET: 'http://127.0.0.1:9' })).toThrow(
      'environment variable STACK is required (k6 run -e STACK=...)',
    );
    expect(() => load(code, { STACK: 'qa', TARGET: 'http://127.0.0.1:9' })).toThrow(
      /STACK "qa" has no SLA in this bundle \(stacks: dev, local, prod, staging\)/,
    );
    expect(() => load(code, { STACK: 'dev', SCENARIO: 'burst', TARGET: 'http://127.0.0.1:9' })).toThrow(
      'SCENARIO must be one of smoke, load, stress, spike, soak, got "burst"',
    );
  });

  it('discovers the model in setup and posts a payload built from its metadata each iteration', () => {
    const { bundle, calls } = load(code, { STACK: 'dev', TARGET: 'http://127.0.0.1:9/', API_KEY: 'k-123' });
    const data = bundle.setup();
    expect(data.model).toBe('breast-cancer');
    expect(calls.get).toEqual(['http://127.0.0.1:9/v2/models/breast-cancer']);
    bundle.default(data);
    bundle.default(data);
    const infers = calls.post.filter((p) => p.url.endsWith('/infer'));
    expect(infers.map((p) => p.url)).toEqual(
      Array(2).fill('http://127.0.0.1:9/v2/models/breast-cancer/infer'),
    );
    const body = JSON.parse(infers[0].body) as {
      inputs: Array<{ name: string; shape: number[]; data: unknown[] }>;
    };
    expect(body.inputs[0]).toMatchObject({ name: 'input', shape: [1, 30], datatype: 'FP32' });
    expect(body.inputs[0].data).toHaveLength(30);
    expect(infers[0].body).not.toBe(infers[1].body);
    expect(infers[0].params.headers.Authorization).toBe('Bearer k-123');
    expect(calls.checks).toEqual(Array(2).fill(Object.keys(INFER_CHECKS)));
  });

  it('handleSummary writes the JSON summary, a report judged by the same thresholds, text and HTML', () => {
    const summary = JSON.parse(
      fs.readFileSync(path.join(__dirname, 'fixtures', 'k6-handle-summary.staging-smoke.json'), 'utf8'),
    ) as unknown;
    const { bundle } = load(code, {
      STACK: 'staging',
      SCENARIO: 'smoke',
      TARGET: 'http://127.0.0.1:9',
      OUT_DIR: 'results/',
    });
    const files = bundle.handleSummary(summary);
    expect(Object.keys(files).sort()).toEqual([
      'results/k6-summary.json',
      'results/report.html',
      'results/report.json',
      'results/summary.txt',
      'stdout',
    ]);
    expect(JSON.parse(files['results/k6-summary.json'])).toEqual(summary);
    const report = JSON.parse(files['results/report.json']) as LoadTestReport;
    const verdict = evaluateThresholds(
      buildScenario(loadStackConfig('staging').sla, 'smoke').thresholds,
      metricsFromK6Summary(summary),
    );
    expect(report.passed).toBe(verdict.passed);
    expect(report.thresholds).toEqual(plain(verdict.results));
    expect(report).toMatchObject({
      tool: 'k6',
      model: 'breast-cancer',
      requests: 150,
      durationSec: 30.04187,
    });
    expect(files.stdout).toBe(files['results/summary.txt']);
    expect(files.stdout).toMatch(/http_req_duration\s+p\(99\)<=100\s+112\.40ms\s+missed/);
    expect(files.stdout).toMatch(/^load test failed: [1-9]\d* of \d+ thresholds breached/m);
    expect(files['results/report.html']).toContain('<svg id="latency-chart"');
  });
});
