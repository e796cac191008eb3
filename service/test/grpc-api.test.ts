import { status as Code } from '@grpc/grpc-js';
import { listServices, OipClient } from './grpc-support';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  BUNDLED_MODELS,
  breastCancerRequest,
  postJson,
  startTestService,
  type TestService,
} from './http-support';

/** The real service on the bundled models, REST and gRPC side by side on loopback. */
let svc: TestService;
let client: OipClient;
beforeAll(async () => {
  svc = await startTestService({ GRPC_PORT: 'ephemeral' });
  await svc.loaded;
  client = new OipClient(`127.0.0.1:${svc.grpcPort}`);
}, 60_000);
afterAll(async () => {
  client?.close();
  await svc?.stop(5000);
});

describe('server and model RPCs', () => {
  it('ServerLive, ServerReady, ServerMetadata', async () => {
    expect((await client.call('ServerLive', {})).response).toEqual({ live: true });
    expect((await client.call('ServerReady', {})).response).toEqual({ ready: true });
    // What GET /v2 answers over REST.
    const rest = await (await fetch(`${svc.url}/v2`)).json();
    expect((await client.call('ServerMetadata', {})).response).toEqual(rest);
  });

  it('ModelReady and ModelMetadata as REST reports them', async () => {
    expect((await client.call('ModelReady', { name: 'breast-cancer' })).response).toEqual({ ready: true });
    const grpcMeta = (await client.call('ModelMetadata', { name: 'breast-cancer', version: '1' })).response!;
    const rest = (await (await fetch(`${svc.url}/v2/models/breast-cancer/versions/1`)).json()) as Record<
      string,
      unknown
    >;
    const shapes = (ts: { shape: (string | number)[] }[]) =>
      ts.map((t) => ({ ...t, shape: t.shape.map(Number) }));
    expect({
      ...grpcMeta,
      inputs: shapes(grpcMeta.inputs as never),
      outputs: shapes(grpcMeta.outputs as never),
    }).toEqual(rest);
  });

  it('NOT_FOUND for an unknown model', async () => {
    const { error } = await client.call('ModelMetadata', { name: 'nope' });
    expect(error?.code).toBe(Code.NOT_FOUND);
    expect(error?.details).toMatch(/nope/);
  });

  it.each(['breast-cancer', 'heavy-mlp'])(
    'ModelConfig of %s: config.json and the served tensors',
    async (name) => {
      const file = JSON.parse(readFileSync(path.join(BUNDLED_MODELS, name, 'config.json'), 'utf8'));
      const { response } = await client.call<{ config: Record<string, unknown> }>('ModelConfig', { name });
      const config = response!.config;
      // proto3 leaves empty lists and strings off the wire, and the client reads them as absent.
      const numbers = (xs: unknown) => ((xs ?? []) as (string | number)[]).map(Number);
      expect(config).toMatchObject({
        name,
        platform: 'onnxruntime_onnx',
        backend: 'onnxruntime',
        max_batch_size: file.max_batch_size,
        response_cache: { enable: file.cache.enabled },
      });
      expect(config.version_policy).toMatchObject(file.version_policy ?? { latest: { num_versions: 1 } });
      const batching = config.dynamic_batching as Record<string, unknown>;
      expect(batching.preferred_batch_size).toEqual(file.dynamic_batching.preferred_batch_size);
      expect(Number(batching.max_queue_delay_microseconds)).toBe(
        file.dynamic_batching.max_queue_delay_microseconds,
      );
      expect((batching.default_queue_policy as { max_queue_size: number }).max_queue_size).toBe(
        file.dynamic_batching.max_queue_size,
      );
      // The tensors config.json declares, with Triton's DataType names and dims without the batch dimension.
      type Tensor = { name: string; data_type: string; dims: string[]; label_filename?: string };
      const tensors = (ts: Tensor[]) =>
        ts.map((t) => ({ name: t.name, datatype: t.data_type.replace('TYPE_', ''), dims: numbers(t.dims) }));
      const declared = (ts: { name: string; datatype: string; dims: number[] }[]) =>
        ts.map(({ name: n, datatype, dims }) => ({ name: n, datatype, dims }));
      expect(tensors(config.input as Tensor[])).toEqual(declared(file.input));
      expect(tensors(config.output as Tensor[])).toEqual(declared(file.output));
      for (const o of config.output as Tensor[]) {
        expect(o.label_filename || undefined).toBe(
          file.output.find((f: { name: string }) => f.name === o.name).label_filename,
        );
      }
    },
  );

  it('ModelStatistics counts REST and gRPC answers per version; every ready version without a name', async () => {
    type Stats = {
      name: string;
      version: string;
      last_inference?: string;
      inference_count?: string;
      execution_count?: string;
      inference_stats: { success: { count?: string; ns?: string } };
      batch_stats?: { batch_size: string }[];
    };
    const read = async () =>
      (
        await client.call<{ model_stats: Stats[] }>('ModelStatistics', {
          name: 'breast-cancer',
          version: '1',
        })
      ).response!.model_stats;
    const n = (v: string | undefined) => Number(v ?? 0);
    const [before] = await read();
    const started = Date.now();
    const body = { ...breastCancerRequest(1), parameters: { cache: false } };
    for (let i = 0; i < 3; i++) {
      await postJson(`${svc.url}/v2/models/breast-cancer/versions/1/infer`, body);
      await client.call('ModelInfer', {
        model_name: 'breast-cancer',
        model_version: '1',
        parameters: { cache: { bool_param: false } },
        inputs: [
          {
            name: 'input',
            datatype: 'FP32',
            shape: [1, 30],
            contents: { fp32_contents: body.inputs[0].data },
          },
        ],
      });
    }
    const [after] = await read();
    expect(after).toMatchObject({ name: 'breast-cancer', version: '1' });
    expect(n(after.inference_stats.success.count) - n(before.inference_stats.success.count)).toBe(6);
    expect(n(after.inference_stats.success.ns)).toBeGreaterThan(n(before.inference_stats.success.ns));
    expect(n(after.inference_count) - n(before.inference_count)).toBe(6);
    const executions = n(after.execution_count) - n(before.execution_count);
    expect(executions).toBeGreaterThanOrEqual(1);
    expect(executions).toBeLessThanOrEqual(6);
    expect(n(after.last_inference)).toBeGreaterThanOrEqual(started);
    expect(after.batch_stats!.length).toBeGreaterThan(0);

    const all = (await client.call<{ model_stats: Stats[] }>('ModelStatistics', {})).response!.model_stats;
    const ready = (
      await client.call<{ models: { name: string; version: string; state: string }[] }>('RepositoryIndex', {
        ready: true,
      })
    ).response!.models;
    expect(all.map((s) => `${s.name}/${s.version}`).sort()).toEqual(
      ready.map((m) => `${m.name}/${m.version}`).sort(),
    );
    expect((await client.call('ModelStatistics', { name: 'nope' })).error?.code).toBe(Code.NOT_FOUND);
  });

  it('ModelConfig: NOT_FOUND for an unknown model or version', async () => {
    expect((await client.call('ModelConfig', { name: 'nope' })).error?.code).toBe(Code.NOT_FOUND);
    expect((await client.call('ModelConfig', { name: 'breast-cancer', version: '9' })).error?.code).toBe(
      Code.NOT_FOUND,
    );
  });
});

type Output = { name: string; datatype: string; shape: string[]; contents?: Record<string, unknown[]> };
type RestOutput = { name: string; datatype: string; shape: number[]; data: number[] };

const restInfer = async (path: string, body: unknown) =>
  (await postJson(`${svc.url}/v2/models/${path}/infer`, body)).json.outputs as RestOutput[];

/** A typed output's values as REST's JSON carries them (int64 comes as decimal strings). */
const valuesOf = (o: Output) => Object.values(o.contents ?? {})[0].map(Number);
const f32 = (values: number[]) => Buffer.from(Float32Array.from(values).buffer);

describe('ModelInfer', () => {
  const rows = (n: number) => breastCancerRequest(n).inputs[0].data;

  it('typed contents: outputs, shapes and id equal to REST for a multi-row batch', async () => {
    const { response, trailers } = await client.call('ModelInfer', {
      model_name: 'breast-cancer',
      model_version: '1',
      id: 'req-1',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 30], contents: { fp32_contents: rows(3) } }],
    });
    const rest = await restInfer('breast-cancer/versions/1', breastCancerRequest(3));
    expect(response).toMatchObject({ model_name: 'breast-cancer', model_version: '1', id: 'req-1' });
    const outputs = response!.outputs as Output[];
    expect(outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape.map(Number) }))).toEqual(
      rest.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape })),
    );
    for (const o of outputs) expect(valuesOf(o)).toEqual(rest.find((r) => r.name === o.name)!.data);
    expect(outputs.find((o) => o.name === 'label')!.contents).toHaveProperty('int64_contents');
    expect(response!.raw_output_contents).toBeUndefined();
    expect(trailers['x-request-id']).toBeDefined();
    expect(trailers['x-model-variant']).toBeDefined();
  });

  it('raw contents: raw outputs, byte for byte what REST binary returns', async () => {
    const { response } = await client.call('ModelInfer', {
      model_name: 'breast-cancer',
      model_version: '1',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 30] }],
      raw_input_contents: [f32(rows(2))],
    });
    const rest = await restInfer('breast-cancer/versions/1', breastCancerRequest(2));
    const outputs = response!.outputs as Output[];
    const raw = response!.raw_output_contents as Buffer[];
    expect(raw).toHaveLength(outputs.length);
    outputs.forEach((o, i) => {
      expect(o.contents).toBeUndefined();
      const expected = rest.find((r) => r.name === o.name)!;
      const decoded =
        o.datatype === 'INT64'
          ? Array.from(new BigInt64Array(Uint8Array.from(raw[i]).buffer), Number)
          : Array.from(new Float32Array(Uint8Array.from(raw[i]).buffer));
      expect(decoded).toEqual(expected.data);
    });
  });

  it('typed UINT8 in (digits, no batch dimension) equals REST; requested outputs only', async () => {
    const pixels = Array.from({ length: 64 }, (_, i) => i % 17);
    const { response } = await client.call('ModelInfer', {
      model_name: 'digits',
      inputs: [{ name: 'pixels', datatype: 'UINT8', shape: [64], contents: { uint_contents: pixels } }],
      outputs: [{ name: 'scores' }],
    });
    const rest = await restInfer('digits', {
      inputs: [{ name: 'pixels', datatype: 'UINT8', shape: [64], data: pixels }],
      outputs: [{ name: 'scores' }],
    });
    const outputs = response!.outputs as Output[];
    expect(outputs.map((o) => o.name)).toEqual(['scores']);
    expect(valuesOf(outputs[0])).toEqual(rest[0].data);
  });

  it('raw UINT8 in, typed out when binary_data_output is false', async () => {
    const pixels = Array.from({ length: 64 }, (_, i) => (i * 3) % 17);
    const { response } = await client.call('ModelInfer', {
      model_name: 'digits',
      parameters: { binary_data_output: { bool_param: false } },
      inputs: [{ name: 'pixels', datatype: 'UINT8', shape: [64] }],
      raw_input_contents: [Buffer.from(pixels)],
    });
    const rest = await restInfer('digits', {
      inputs: [{ name: 'pixels', datatype: 'UINT8', shape: [64], data: pixels }],
    });
    const outputs = response!.outputs as Output[];
    for (const o of outputs) expect(valuesOf(o)).toEqual(rest.find((r) => r.name === o.name)!.data);
  });

  it('heavy-mlp raw equals REST JSON', async () => {
    const data = Array.from({ length: 2 * 256 }, (_, i) => ((i % 13) - 6) / 10);
    const { response } = await client.call('ModelInfer', {
      model_name: 'heavy-mlp',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 256] }],
      raw_input_contents: [f32(data)],
    });
    const rest = await restInfer('heavy-mlp', {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 256], data }],
    });
    const raw = (response!.raw_output_contents as Buffer[])[0];
    expect(Array.from(new Float32Array(Uint8Array.from(raw).buffer))).toEqual(rest[0].data);
  });
});

describe('bad input: status code and a message naming the field', () => {
  const one = (over: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    model_name: 'breast-cancer',
    inputs: [
      {
        name: 'input',
        datatype: 'FP32',
        shape: [1, 30],
        contents: { fp32_contents: Array(30).fill(1) },
        ...over,
      },
    ],
    ...extra,
  });
  it.each([
    ['a shape mismatch', one({ shape: [1, 29] }), Code.INVALID_ARGUMENT, /input 'input'.*29/],
    [
      'contents shorter than the shape',
      one({ shape: [2, 30] }),
      Code.INVALID_ARGUMENT,
      /needs 60 elements, contents.fp32_contents has 30/,
    ],
    [
      'a wrong raw length',
      one({ contents: undefined }, { raw_input_contents: [Buffer.alloc(100)] }),
      Code.INVALID_ARGUMENT,
      /raw_input_contents\[0\] is 100 bytes, expected 120/,
    ],
    [
      'both contents and raw',
      one({}, { raw_input_contents: [Buffer.alloc(120)] }),
      Code.INVALID_ARGUMENT,
      /has both contents and raw_input_contents/,
    ],
    [
      'a wrong datatype',
      one({ datatype: 'FP64', contents: { fp64_contents: Array(30).fill(1) } }),
      Code.INVALID_ARGUMENT,
      /expected datatype FP32, got FP64/,
    ],
    ['an unknown model', { ...one({}), model_name: 'no-such-model' }, Code.NOT_FOUND, /no-such-model/],
    ['no model name', { ...one({}), model_name: '' }, Code.INVALID_ARGUMENT, /model_name/],
    [
      'an unknown output',
      one({}, { outputs: [{ name: 'nope' }] }),
      Code.INVALID_ARGUMENT,
      /unknown output 'nope'/,
    ],
    [
      'a bad timeout',
      one({}, { parameters: { timeout: { string_param: 'soon' } } }),
      Code.INVALID_ARGUMENT,
      /parameters.timeout/,
    ],
  ])('%s', async (_name, request, code, message) => {
    const { error } = await client.call('ModelInfer', request);
    expect(error?.code).toBe(code);
    expect(error?.details).toMatch(message);
  });

  it('DEADLINE_EXCEEDED for a timeout parameter too short to run in', async () => {
    const { error } = await client.call('ModelInfer', {
      model_name: 'heavy-mlp',
      parameters: { timeout: { int64_param: 1 } },
      inputs: [{ name: 'input', datatype: 'FP32', shape: [64, 256] }],
      raw_input_contents: [Buffer.alloc(64 * 256 * 4)],
    });
    expect(error?.code).toBe(Code.DEADLINE_EXCEEDED);
  });

  it('DEADLINE_EXCEEDED for a call deadline too short, and the server keeps serving', async () => {
    const { error } = await client.call(
      'ModelInfer',
      {
        ...one({}),
        model_name: 'heavy-mlp',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [64, 256] }],
        raw_input_contents: [Buffer.alloc(64 * 256 * 4)],
      },
      {},
      { deadline: Date.now() + 1 },
    );
    expect(error?.code).toBe(Code.DEADLINE_EXCEEDED);
    expect((await client.call('ModelInfer', one({}))).response).toBeDefined();
  });
});

describe('size limit, health, reflection, repository, metrics', () => {
  it('RESOURCE_EXHAUSTED for a message over MAX_BODY_BYTES', async () => {
    const small = await startTestService({ GRPC_PORT: 'ephemeral', MAX_BODY_BYTES: '2048' });
    const smallClient = new OipClient(`127.0.0.1:${small.grpcPort}`);
    try {
      await small.loaded;
      const { error } = await smallClient.call('ModelInfer', {
        model_name: 'heavy-mlp',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 256] }],
        raw_input_contents: [Buffer.alloc(4096)],
      });
      expect(error?.code).toBe(Code.RESOURCE_EXHAUSTED);
      expect(error?.details).toMatch(/larger than max/);
      expect((await smallClient.call('ServerLive', {})).response).toEqual({ live: true });
    } finally {
      smallClient.close();
      await small.stop(5000);
    }
  }, 60_000);

  it('grpc.health.v1 Check: readiness, liveness, unknown service', async () => {
    const check = (service: string) => client.call('Check', { service }, {}, {}, client.health);
    expect((await check('')).response).toEqual({ status: 'SERVING' });
    expect((await check('inference.GRPCInferenceService')).response).toEqual({ status: 'SERVING' });
    expect((await check('liveness')).response).toEqual({ status: 'SERVING' });
    expect((await check('other.Service')).error?.code).toBe(Code.NOT_FOUND);
  });

  it('server reflection lists the inference and health services', async () => {
    const services = await listServices(`127.0.0.1:${svc.grpcPort}`);
    expect(services).toEqual(
      expect.arrayContaining(['inference.GRPCInferenceService', 'grpc.health.v1.Health']),
    );
  });

  it('RepositoryIndex, RepositoryModelUnload and RepositoryModelLoad', async () => {
    const index = (await client.call('RepositoryIndex', {})).response!.models as {
      name: string;
      state: string;
    }[];
    expect(index).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'digits', state: 'READY' })]),
    );
    expect((await client.call('RepositoryModelUnload', { model_name: 'digits' })).response).toEqual({});
    expect((await client.call('ModelReady', { name: 'digits' })).response).toEqual({ ready: false });
    const ready = (await client.call('RepositoryIndex', { ready: true })).response!.models as {
      name: string;
    }[];
    expect(ready.map((m) => m.name)).not.toContain('digits');
    expect((await client.call('RepositoryModelLoad', { model_name: 'digits' })).response).toEqual({});
    expect((await client.call('ModelReady', { name: 'digits' })).response).toEqual({ ready: true });
    expect((await client.call('RepositoryModelLoad', { model_name: 'no-such-model' })).error?.code).toBe(
      Code.NOT_FOUND,
    );
  }, 60_000);

  it('counts gRPC calls under protocol="grpc"', async () => {
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    expect(text).toMatch(
      /inference_requests_total\{model="breast-cancer",version="1",status="200",protocol="grpc"\} [1-9]/,
    );
    expect(text).toMatch(
      /inference_requests_total\{model="\(unknown\)",version="\(unknown\)",status="404",protocol="grpc"\} [1-9]/,
    );
  });
});
