import { status as Code } from '@grpc/grpc-js';
import { freePort, OipClient } from './grpc-support';
import { breastCancerRequest, postJson, startTestService, type TestService } from './http-support';

/** The real service on the bundled models, REST and gRPC side by side on loopback. */
let svc: TestService;
let client: OipClient;
beforeAll(async () => {
  svc = await startTestService({ GRPC_PORT: String(await freePort()) });
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
    expect((await client.call('ServerMetadata', {})).response).toEqual({
      name: 'ml-platform-inference',
      version: expect.any(String),
      extensions: ['binary_tensor_data', 'model_repository'],
    });
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
});

describe('ModelInfer', () => {
  const row = breastCancerRequest(1).inputs[0];
  it('typed contents answer what REST answers', async () => {
    const { response, trailers } = await client.call('ModelInfer', {
      model_name: 'breast-cancer',
      model_version: '1',
      id: 'req-1',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], contents: { fp32_contents: row.data } }],
    });
    const rest = await postJson(
      `${svc.url}/v2/models/breast-cancer/versions/1/infer`,
      breastCancerRequest(1),
    );
    const restOut = rest.json.outputs as { name: string; data: number[] }[];
    const out = response!.outputs as { name: string; contents: Record<string, unknown[]> }[];
    expect(response).toMatchObject({ model_name: 'breast-cancer', model_version: '1', id: 'req-1' });
    expect(out.find((o) => o.name === 'label')!.contents.int64_contents!.map(Number)).toEqual(
      restOut.find((o) => o.name === 'label')!.data,
    );
    expect(out.find((o) => o.name === 'probabilities')!.contents.fp32_contents).toEqual(
      restOut.find((o) => o.name === 'probabilities')!.data,
    );
    expect(trailers['x-request-id']).toBeDefined();
  });
});
