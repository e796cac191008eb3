import http from 'node:http';
import type { RunningService } from '../src/service';
import type { makeModelRepo } from '../../test/support/model-repo';
import { ADMIN_KEY, INFER_KEY, startGuardedService, TINY_KEY } from './guards-support';

const body = (index: number, parameters?: Record<string, unknown>) =>
  JSON.stringify({
    parameters,
    inputs: [{ name: 'index', shape: [1, 1], datatype: 'INT64', data: [index] }],
  });

describe('guards in the HTTP pipeline (in-process service, real models)', () => {
  let repo: ReturnType<typeof makeModelRepo>;
  let service: RunningService;
  let url: string;
  let logLines: string[] = [];

  beforeAll(async () => {
    ({ service, repo, logLines } = await startGuardedService({ MAX_IN_FLIGHT: '2' }));
    url = `http://127.0.0.1:${service.address.port}`;
  });
  afterAll(async () => {
    await service?.stop(5000);
    repo?.cleanup();
  });

  const infer = (model: string, headers: Record<string, string>, payload = body(1)) =>
    fetch(`${url}/v2/models/${model}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: payload,
    });

  it('keeps health open and answers 401 without a key, with a JSON error and WWW-Authenticate', async () => {
    expect((await fetch(`${url}/v2/health/live`)).status).toBe(200);
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
    const res = await infer('cached', {});
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="ml-platform"');
    expect(await res.json()).toEqual({ error: expect.stringContaining('missing API key') });
  });

  it.each([
    ['Basic credentials', { authorization: 'Basic YWxhZGRpbjpvcGVuc2VzYW1l' }],
    ['a wrong key', { authorization: 'Bearer not-the-key' }],
    ['a long garbage value', { authorization: `Bearer ${'%'.repeat(4000)}` }],
    ['latin-1 bytes', { 'x-api-key': 'caf\u00e9' }],
  ])('answers %s with a clean 401', async (_n, headers) => {
    const res = await infer('cached', headers as Record<string, string>);
    expect(res.status).toBe(401);
    const { error } = (await res.json()) as { error: string };
    expect(error).not.toMatch(/YWxhZGRpbj|not-the-key|%%%/);
  });

  it('answers 403 when the key lacks the scope, and admits the admin key', async () => {
    const denied = await fetch(`${url}/v2/repository/index`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INFER_KEY}` },
    });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toEqual({ error: 'API key "client" lacks the "admin" scope' });
    const allowed = await fetch(`${url}/v2/repository/index`, {
      method: 'POST',
      headers: { 'x-api-key': ADMIN_KEY },
    });
    expect(allowed.status).toBe(200);
  });

  it('serves with cache and rate-limit headers: miss, then hit-memory; opt-out bypasses', async () => {
    const first = await infer('cached', { authorization: `Bearer ${INFER_KEY}` }, body(6));
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('miss');
    expect(first.headers.get('x-served-by')).toBe('primary');
    expect(first.headers.get('ratelimit-limit')).toBe('1000');
    expect(Number(first.headers.get('ratelimit-remaining'))).toBeLessThan(1000);
    const second = await infer('cached', { authorization: `Bearer ${INFER_KEY}` }, body(6));
    expect(second.headers.get('x-cache')).toBe('hit-memory');
    expect(await second.json()).toEqual(await first.json());
    const optOut = await infer('cached', { authorization: `Bearer ${INFER_KEY}` }, body(6, { cache: false }));
    expect(optOut.headers.get('x-cache')).toBe('bypass');
    const badParam = await infer(
      'cached',
      { authorization: `Bearer ${INFER_KEY}` },
      body(6, { cache: 'off' }),
    );
    expect(badParam.status).toBe(400);
    expect(await badParam.json()).toEqual({ error: 'parameters.cache must be a boolean, got "off"' });
  });

  it('answers a hit with the outputs asked for, and a 400 naming an output the model lacks', async () => {
    const auth = { authorization: `Bearer ${INFER_KEY}` };
    const withOutputs = (outputs: string[]) =>
      JSON.stringify({ ...JSON.parse(body(7)), outputs: outputs.map((name) => ({ name })) });
    const full = (await (await infer('cached', auth, body(7))).json()) as { outputs: { name: string }[] };
    const name = full.outputs[0].name;
    const one = await infer('cached', auth, withOutputs([name]));
    expect(one.headers.get('x-cache')).toBe('hit-memory');
    expect(((await one.json()) as typeof full).outputs.map((o) => o.name)).toEqual([name]);
    const unknown = await infer('cached', auth, withOutputs(['no-such-output']));
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toMatch(
      /requested output 'no-such-output' is not an output of model 'cached'/,
    );
    // The refused request left the entry as it was.
    expect((await infer('cached', auth, body(7))).headers.get('x-cache')).toBe('hit-memory');
  });

  it('answers a failing input from the fallback model and says so', async () => {
    const res = await infer('cached', { authorization: `Bearer ${INFER_KEY}` }, body(42));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-served-by')).toBe('fallback:flaky-fallback');
    expect(await res.json()).toMatchObject({
      model_name: 'flaky-fallback',
      outputs: [{ data: [Math.fround(0.2)] }],
    });
  });

  it('limits a key to its own budget with 429, Retry-After and RateLimit headers', async () => {
    const statuses = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await infer('cached', { 'x-api-key': TINY_KEY });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(last!.headers.get('ratelimit-limit')).toBe('3');
    expect(last!.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await last!.json()) as { error: string }).error).toMatch(/^rate limit exceeded/);
  });

  it('sheds inference beyond MAX_IN_FLIGHT with 503 + Retry-After before reading the body', async () => {
    // Two requests whose bodies have not arrived yet hold both slots: admission runs before the read.
    const payload = body(3);
    const held = [0, 1].map(() => {
      const req = http.request(`${url}/v2/models/cached/infer`, {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          'x-api-key': INFER_KEY,
        },
      });
      const response = new Promise<number>((resolve, reject) => {
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
      });
      req.flushHeaders();
      return { req, response };
    });
    await new Promise((r) => setTimeout(r, 100));
    const shed = await infer('cached', { authorization: `Bearer ${INFER_KEY}` });
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('1');
    expect(((await shed.json()) as { error: string }).error).toMatch(
      /^server overloaded: 2 requests in flight \(limit 2\)/,
    );
    for (const h of held) h.req.end(payload);
    expect(await Promise.all(held.map((h) => h.response))).toEqual([200, 200]);
    // The slots came back.
    expect((await infer('cached', { authorization: `Bearer ${INFER_KEY}` })).status).toBe(200);
  });

  it('exports guard metrics on /metrics and never logs a key', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const name of [
      'prediction_cache_hits_total',
      'prediction_cache_misses_total',
      'rate_limit_rejections_total',
      'model_circuit_breaker_state',
      'load_shed_total',
      'inference_in_flight_requests',
    ])
      expect(text).toContain(`# TYPE ${name}`);
    expect(text).toMatch(/prediction_cache_hits_total\{model="cached",version="1",tier="memory"\} [1-9]/);
    const logs = logLines.join('');
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [INFER_KEY, ADMIN_KEY, TINY_KEY, 'not-the-key', 'YWxhZGRpbjpvcGVuc2VzYW1l'])
      expect(logs).not.toContain(secret);
  });
});
