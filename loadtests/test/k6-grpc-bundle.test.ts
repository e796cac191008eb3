import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { transformSync } from 'esbuild';
import { loadStackConfig } from '@ml-platform/stack-config';
import { bundleK6 } from '../src/build/bundle-k6';
import { GRPC_METRICS, inverse, renameMetrics, toModelInferRequest } from '../src/grpc-payload';
import { toK6Options } from '../src/k6-options';
import { buildScenario } from '../src/scenarios';

/** As k6-bundle.test.ts: k6 cannot run here, so the bundle runs in V8 against recording k6 stand-ins. */
interface Invocation {
  method: string;
  request: Record<string, unknown>;
  params: { metadata: Record<string, string> };
}

const METADATA = {
  name: 'breast-cancer',
  versions: ['1'],
  platform: 'onnxruntime_onnx',
  inputs: [{ name: 'input', datatype: 'FP32', shape: ['-1', '30'] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: ['-1', '2'] }],
};

function load(code: string, env: Record<string, string>) {
  const calls = {
    loaded: [] as string[][],
    connected: [] as unknown[],
    invoked: [] as Invocation[],
    checks: [] as string[][],
    metrics: {} as Record<string, unknown[]>,
  };
  class Client {
    load(dirs: string[], ...files: string[]) {
      calls.loaded.push([...dirs, ...files]);
    }
    connect(target: string, params: unknown) {
      calls.connected.push([target, params]);
    }
    invoke(method: string, request: Record<string, unknown>, params: Invocation['params']) {
      calls.invoked.push({ method, request, params });
      if (method.endsWith('/ModelMetadata')) return { status: 0, message: METADATA };
      return { status: 0, message: { outputs: [{ name: 'probabilities' }] } };
    }
    close() {}
  }
  const metric = (name: string) => ({ add: (v: unknown) => (calls.metrics[name] ??= []).push(v) });
  const k6Modules: Record<string, unknown> = {
    k6: {
      __esModule: true,
      check: (res: unknown, sets: Record<string, (r: unknown) => boolean>) => {
        calls.checks.push(Object.keys(sets).filter((k) => sets[k](res)));
        return true;
      },
    },
    'k6/net/grpc': { __esModule: true, default: { Client, StatusOK: 0 } },
    'k6/metrics': {
      __esModule: true,
      Counter: function (this: unknown, name: string) {
        return metric(name);
      },
      Rate: function (this: unknown, name: string) {
        return metric(name);
      },
    },
  };
  const cjs = transformSync(code, { format: 'cjs', loader: 'js' }).code;
  const module = { exports: {} as Record<string, (...a: unknown[]) => unknown> & { options: unknown } };
  const require = (id: string) => {
    if (!(id in k6Modules)) throw new Error(`the bundle imports "${id}": only k6 modules may stay external`);
    return k6Modules[id];
  };
  vm.runInNewContext(cjs, { module, exports: module.exports, require, __ENV: env, __ITER: 0 });
  return { bundle: module.exports, calls };
}

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

describe('the k6 gRPC bundle', () => {
  let outDir: string;
  let code: string;
  const env = {
    STACK: 'local',
    SCENARIO: 'load',
    TARGET: '127.0.0.1:8081',
    MODEL: 'breast-cancer',
    API_KEY: 'k-123',
    PLAINTEXT: 'true',
  };

  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'k6-grpc-'));
    await bundleK6(outDir);
    code = fs.readFileSync(path.join(outDir, 'oip-grpc.js'), 'utf8');
  }, 60_000);
  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('ships the proto it loads and imports only k6 modules', () => {
    expect(fs.readFileSync(path.join(outDir, 'inference.proto'), 'utf8')).toContain(
      'service GRPCInferenceService',
    );
    const imports = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    expect(imports.sort()).toEqual(['k6', 'k6/metrics', 'k6/net/grpc']);
    expect(code).not.toMatch(/\.(fromEntries|flatMap|flat|matchAll|replaceAll|allSettled|at)\(/);
  });

  it("has the REST scenario's thresholds on k6's gRPC metric names", () => {
    const { bundle, calls } = load(code, env);
    const def = buildScenario(loadStackConfig('local').sla, 'load');
    expect(plain(bundle.options)).toEqual(
      plain(toK6Options({ ...def, thresholds: renameMetrics(def.thresholds, GRPC_METRICS) })),
    );
    expect(Object.keys((bundle.options as { thresholds: object }).thresholds)).toEqual(
      expect.arrayContaining(['grpc_req_duration', 'grpc_req_failed']),
    );
    expect(calls.loaded).toEqual([['.', 'inference.proto']]);
  });

  it('reads the model metadata, then calls ModelInfer with typed contents and the key in metadata', () => {
    const { bundle, calls } = load(code, env);
    const data = bundle.setup();
    bundle.default(data);
    expect(calls.connected[0]).toEqual(['127.0.0.1:8081', { plaintext: true }]);
    const infer = calls.invoked.find((c) => c.method === 'inference.GRPCInferenceService/ModelInfer')!;
    expect(infer.params.metadata).toEqual({ authorization: 'Bearer k-123' });
    expect(infer.request).toMatchObject({
      model_name: 'breast-cancer',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30] }],
    });
    expect(
      (infer.request.inputs as { contents: { fp32_contents: number[] } }[])[0].contents.fp32_contents,
    ).toHaveLength(30);
    expect(calls.checks).toEqual([['status is OK', 'response has outputs']]);
    expect(calls.metrics).toEqual({ grpc_reqs: [1], grpc_req_failed: [false] });
  });

  it('judges the summary by the SLA under the HTTP metric names the report reads', () => {
    const { bundle } = load(code, env);
    const files = bundle.handleSummary({
      state: { testRunDurationMs: 60_000 },
      metrics: {
        grpc_req_duration: { values: { 'p(95)': 20, 'p(99)': 40, avg: 10, med: 9, max: 50 } },
        grpc_req_failed: { values: { rate: 0, passes: 0, fails: 100 } },
        grpc_reqs: { values: { count: 100, rate: 1.66 } },
      },
    }) as Record<string, string>;
    const report = JSON.parse(files['./report.json']) as { metrics: Record<string, unknown> };
    expect(Object.keys(report.metrics)).toEqual(
      expect.arrayContaining(['http_req_duration', 'http_req_failed']),
    );
  });
});

describe('grpc payload', () => {
  it('maps each datatype to its typed contents field and refuses FP16', () => {
    const msg = toModelInferRequest('m', {
      inputs: [
        { name: 'a', datatype: 'INT8', shape: [1], data: [1] },
        { name: 'b', datatype: 'UINT64', shape: [1], data: [2] },
        { name: 'c', datatype: 'BOOL', shape: [1], data: [true] },
      ],
    });
    expect(msg.inputs.map((i) => Object.keys(i.contents)[0])).toEqual([
      'int_contents',
      'uint64_contents',
      'bool_contents',
    ]);
    expect(() =>
      toModelInferRequest('m', { inputs: [{ name: 'h', datatype: 'FP16', shape: [1], data: [1] }] }),
    ).toThrow(/FP16 has no typed contents field/);
    expect(
      renameMetrics(renameMetrics({ http_req_failed: 1, checks: 2 }, GRPC_METRICS), inverse(GRPC_METRICS)),
    ).toEqual({
      http_req_failed: 1,
      checks: 2,
    });
  });
});
