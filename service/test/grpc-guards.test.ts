import { status as Code } from '@grpc/grpc-js';
import type { RunningService } from '../src/service';
import type { makeModelRepo } from '../../test/support/model-repo';
import { ADMIN_KEY, INFER_KEY, startGuardedService, TINY_KEY } from './guards-support';
import { OipClient } from './grpc-support';

const request = (index: number, parameters: Record<string, unknown> = {}) => ({
  model_name: 'cached',
  parameters,
  inputs: [
    { name: 'index', datatype: 'INT64', shape: [1, 1], contents: { int64_contents: [String(index)] } },
  ],
});
const valueOf = (response: Record<string, unknown> | undefined) =>
  (response?.outputs as { contents: { fp32_contents: number[] } }[])[0].contents.fp32_contents[0];

/** The guards of guards-http.test.ts, met through the gRPC door: same phases, same answers. */
describe('guards over gRPC (in-process service, real models)', () => {
  let repo: ReturnType<typeof makeModelRepo>;
  let service: RunningService;
  let client: OipClient;
  let logLines: string[] = [];

  beforeAll(async () => {
    ({ service, repo, logLines } = await startGuardedService({ GRPC_PORT: 'ephemeral' }));
    client = new OipClient(`127.0.0.1:${service.grpcPort}`);
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await service?.stop(5000);
    repo?.cleanup();
  });

  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  it('keeps liveness, readiness and health open; UNAUTHENTICATED without a key', async () => {
    expect((await client.call('ServerLive', {})).response).toEqual({ live: true });
    expect((await client.call('ServerReady', {})).response).toEqual({ ready: true });
    expect((await client.call('Check', { service: '' }, {}, {}, client.health)).response).toEqual({
      status: 'SERVING',
    });
    for (const method of ['ModelInfer', 'ModelMetadata', 'ServerMetadata']) {
      const { error } = await client.call(method, method === 'ModelInfer' ? request(1) : { name: 'cached' });
      expect(error?.code).toBe(Code.UNAUTHENTICATED);
      expect(error?.details).toMatch(/missing API key/);
    }
  });

  it.each([
    ['Basic credentials', { authorization: 'Basic YWxhZGRpbjpvcGVuc2VzYW1l' }],
    ['a wrong key', bearer('not-the-key')],
  ])('answers %s with UNAUTHENTICATED and no echo of it', async (_n, metadata) => {
    const { error } = await client.call('ModelInfer', request(1), metadata);
    expect(error?.code).toBe(Code.UNAUTHENTICATED);
    expect(error?.details).not.toMatch(/YWxhZGRpbj|not-the-key/);
  });

  it('PERMISSION_DENIED when the key lacks the admin scope; the admin key reaches the repository', async () => {
    const denied = await client.call('RepositoryIndex', {}, bearer(INFER_KEY));
    expect(denied.error?.code).toBe(Code.PERMISSION_DENIED);
    expect(denied.error?.details).toBe('API key "client" lacks the "admin" scope');
    const allowed = await client.call('RepositoryIndex', {}, { 'x-api-key': ADMIN_KEY });
    expect((allowed.response?.models as unknown[]).length).toBe(2);
  });

  it('cache and rate-limit headers become trailing metadata: miss, then hit-memory; opt-out bypasses', async () => {
    const first = await client.call('ModelInfer', request(6), bearer(INFER_KEY));
    expect(first.trailers).toMatchObject({
      'x-cache': 'miss',
      'x-served-by': 'primary',
      'ratelimit-limit': '1000',
    });
    expect(Number(first.trailers['ratelimit-remaining'])).toBeLessThan(1000);
    const second = await client.call('ModelInfer', request(6), { 'x-api-key': INFER_KEY });
    expect(second.trailers['x-cache']).toBe('hit-memory');
    expect(second.response).toEqual(first.response);
    const optOut = await client.call(
      'ModelInfer',
      request(6, { cache: { bool_param: false } }),
      bearer(INFER_KEY),
    );
    expect(optOut.trailers['x-cache']).toBe('bypass');
    const badParam = await client.call(
      'ModelInfer',
      request(6, { cache: { string_param: 'off' } }),
      bearer(INFER_KEY),
    );
    expect(badParam.error?.code).toBe(Code.INVALID_ARGUMENT);
    expect(badParam.error?.details).toBe('parameters.cache must be a boolean, got "off"');
  });

  it('answers a failing input from the fallback model and says so', async () => {
    const { response, trailers } = await client.call('ModelInfer', request(42), bearer(INFER_KEY));
    expect(trailers['x-served-by']).toBe('fallback:flaky-fallback');
    expect(response?.model_name).toBe('flaky-fallback');
    expect(valueOf(response)).toBe(Math.fround(0.2));
  });

  it('RESOURCE_EXHAUSTED past a key budget, with retry metadata and RateLimit trailers', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++)
      answers.push(await client.call('ModelInfer', request(1), { 'x-api-key': TINY_KEY }));
    expect(answers.map((a) => a.error?.code ?? Code.OK)).toEqual([
      Code.OK,
      Code.OK,
      Code.OK,
      Code.RESOURCE_EXHAUSTED,
      Code.RESOURCE_EXHAUSTED,
    ]);
    const last = answers[4];
    expect(last.error?.details).toMatch(/^rate limit exceeded/);
    expect(last.trailers).toMatchObject({ 'ratelimit-limit': '3', 'ratelimit-remaining': '0' });
    expect(Number(last.trailers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(last.trailers['grpc-retry-pushback-ms'])).toBe(Number(last.trailers['retry-after']) * 1000);
  });

  it('never logs a key', () => {
    const logs = logLines.join('');
    expect(logs).toContain('"protocol":"grpc"');
    for (const secret of [INFER_KEY, ADMIN_KEY, TINY_KEY, 'not-the-key', 'YWxhZGRpbjpvcGVuc2VzYW1l'])
      expect(logs).not.toContain(secret);
  });
});
