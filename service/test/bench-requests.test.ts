import * as grpc from '@grpc/grpc-js';
import { createProductionGuards } from '../src/guards';
import { MODEL_INFER_PATH } from '../bench/grpc-requests';
import { classifierBodyArg } from '../bench/requests';
import { startTestService, type TestService } from './http-support';

/**
 * The classifier benches (classifier-profile.ts, classifier-allocations.ts, hot-path-ab.ts) choose
 * their body with classifierBodyArg: with `--hits` every repeat must be a memory-tier hit, without
 * it every request must run the model. hot-path-ab.ts once built its own body with the two
 * swapped, and its "hits" rounds measured model runs.
 */
describe('the classifier benches send what their --hits flag says (real service)', () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService({ GRPC_PORT: 'ephemeral' }, { guards: createProductionGuards });
    await svc.loaded;
    client = new grpc.Client(`127.0.0.1:${svc.grpcPort}`, grpc.credentials.createInsecure());
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await svc?.stop(5000);
  });
  let client: grpc.Client;

  /** The x-cache trailer of one ModelInfer call sent as the bench sends it: serialized bytes. */
  const grpcCacheOutcome = (request: Buffer) =>
    new Promise<string | undefined>((resolve, reject) => {
      const same = (b: Buffer) => b;
      const call = client.makeUnaryRequest(MODEL_INFER_PATH, same, same, request, (err) => {
        if (err) reject(err);
      });
      call.on('status', (s: grpc.StatusObject) => {
        if (s.code === grpc.status.OK) resolve(s.metadata.get('x-cache')[0]?.toString());
      });
    });
  const grpcCacheOutcomes = async (request: Buffer) => {
    const outcomes: (string | undefined)[] = [];
    for (let i = 0; i < 3; i++) outcomes.push(await grpcCacheOutcome(request));
    return outcomes;
  };

  const cacheOutcomes = async (body: string) => {
    const outcomes: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${svc.url}/v2/models/breast-cancer/versions/1/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      outcomes.push(res.headers.get('x-cache'));
    }
    return outcomes;
  };

  it('answers the --hits body from memory after the first request', async () => {
    const { body, what } = classifierBodyArg(['node', 'bench.ts', '--hits']);
    expect(what).toBe('memory-tier hits');
    expect((await cacheOutcomes(body)).slice(1)).toEqual(['hit-memory', 'hit-memory']);
  });

  it('answers the --hits gRPC request from memory after the first call', async () => {
    const { grpc: request } = classifierBodyArg(['node', 'bench.ts', '--hits']);
    expect((await grpcCacheOutcomes(request)).slice(1)).toEqual(['hit-memory', 'hit-memory']);
  });

  it('runs the model for every gRPC call without --hits', async () => {
    const { grpc: request } = classifierBodyArg(['node', 'bench.ts']);
    expect(await grpcCacheOutcomes(request)).toEqual(['bypass', 'bypass', 'bypass']);
  });

  it('runs the model for every request without --hits', async () => {
    const { body, what } = classifierBodyArg(['node', 'bench.ts']);
    expect(what).toBe('cache off');
    expect(await cacheOutcomes(body)).toEqual(['bypass', 'bypass', 'bypass']);
  });
});
