import { join } from 'node:path';
import { FIXTURE_MODELS, makeModelRepo } from '../support/model-repo';
import { startServiceProcess, waitReady, type ServiceProcess } from '../support/service-process';
import { percentile, runLoad, scrapeMetric } from '../support/load';

/**
 * Model faults through the real service process: a model that fails on some inputs (flaky) trips
 * its breaker and its fallback answers until it is healthy again; a slow model's requests miss
 * their deadlines (504) while a fast model next to it keeps answering.
 */
const indexBody = (index: number) =>
  JSON.stringify({ inputs: [{ name: 'index', shape: [1, 1], datatype: 'INT64', data: [index] }] });
const slowBody = (timeoutUs: number) =>
  JSON.stringify({
    parameters: { timeout: timeoutUs },
    inputs: [{ name: 'input', shape: [1, 512], datatype: 'FP32', data: new Array(512).fill(0.01) }],
  });

describe('chaos: failing and slow models', () => {
  let repo: ReturnType<typeof makeModelRepo>;
  let svc: ServiceProcess;

  beforeAll(async () => {
    repo = makeModelRepo([
      { name: 'flaky', from: join(FIXTURE_MODELS, 'flaky') },
      { name: 'flaky-fallback', from: join(FIXTURE_MODELS, 'flaky-fallback') },
      { name: 'slow', from: join(FIXTURE_MODELS, 'slow') },
    ]);
    svc = await startServiceProcess({ MODEL_REPOSITORY: repo.path, REQUEST_TIMEOUT_MS: '2000' });
    await waitReady(svc, 60_000);
  }, 120_000);
  afterAll(async () => {
    await svc?.stop();
    repo?.cleanup();
  });

  const post = (model: string, body: string) =>
    fetch(`${svc.url}/v2/models/${model}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
  const state = () => scrapeMetric(svc.url, 'model_circuit_breaker_state', { model: 'flaky', version: '1' });

  it('opens the breaker on failures, answers from the fallback, and closes once the model is healthy', async () => {
    const failing = [];
    for (let i = 0; i < 6; i++) failing.push(await post('flaky', indexBody(40 + i)));
    expect(failing.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(failing.map((r) => r.headers.get('x-served-by'))).toEqual(
      Array(6).fill('fallback:flaky-fallback'),
    );
    expect(await state()).toBe(2);

    // While open a healthy input is answered by the fallback too: the primary is not called.
    const whileOpen = await post('flaky', indexBody(3));
    expect(whileOpen.headers.get('x-served-by')).toBe('fallback:flaky-fallback');
    expect(await whileOpen.json()).toMatchObject({ model_name: 'flaky-fallback' });

    // reset_timeout_ms is 500 in the fixture: then one probe goes to the primary and closes it.
    await new Promise((r) => setTimeout(r, 600));
    const probe = await post('flaky', indexBody(3));
    expect(probe.headers.get('x-served-by')).toBe('primary');
    expect(await probe.json()).toMatchObject({
      model_name: 'flaky',
      outputs: [{ data: [Math.fround(0.3)] }],
    });
    expect(await state()).toBe(0);
    const after = await post('flaky', indexBody(7));
    expect(after.headers.get('x-served-by')).toBe('primary');
  }, 30_000);

  it('answers 504 for a slow model past its deadline while the fast model keeps answering', async () => {
    const fastUrl = `${svc.url}/v2/models/flaky-fallback/infer`;
    const baseline = await runLoad({
      url: fastUrl,
      count: 60,
      concurrency: 2,
      request: (i) => ({ body: indexBody(i % 10) }),
    });
    const [slow, fast] = await Promise.all([
      runLoad({
        url: `${svc.url}/v2/models/slow/infer`,
        count: 80,
        concurrency: 6,
        request: () => ({ body: slowBody(40_000) }),
      }),
      runLoad({
        url: fastUrl,
        count: 60,
        concurrency: 2,
        pauseMs: 10,
        request: (i) => ({ body: indexBody(i % 10) }),
      }),
    ]);
    const count = (rs: typeof slow, s: number) => rs.filter((r) => r.status === s).length;
    const p = (rs: typeof slow, q: number) =>
      percentile(
        rs.map((r) => r.ms),
        q,
      ).toFixed(1);
    console.log(
      `slow model: ${count(slow, 200)} x 200, ${count(slow, 504)} x 504, ${count(slow, 503)} x 503; ` +
        `fast model p50/p99 ms alone ${p(baseline, 50)}/${p(baseline, 99)}, next to the slow one ${p(fast, 50)}/${p(fast, 99)}`,
    );
    expect(slow.every((r) => r.status === 200 || r.status === 504)).toBe(true);
    expect(count(slow, 504)).toBeGreaterThan(0);
    // Deadlines the client chose do not open the slow model's breaker.
    expect(await scrapeMetric(svc.url, 'model_circuit_breaker_state', { model: 'slow', version: '1' })).toBe(
      0,
    );
    expect(fast.every((r) => r.status === 200)).toBe(true);
    // The slow model holds at most one of the shared onnxruntime threads and the fast one has a
    // session on two (service/src/runtime/session-pool.ts), so a fast request never waits out a slow
    // batch (about 250 ms at the slow model's batch of 4): nine in ten of its requests stay well
    // below one. Sharing a thread with the slow model would put most of them past it; p99 (one
    // request in 60) measured the machine's load instead, 190 ms with other work running.
    expect(
      percentile(
        fast.map((r) => r.ms),
        90,
      ),
    ).toBeLessThan(150);
    const res = await post('slow', slowBody(1));
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({ error: expect.stringMatching(/deadline/i) });
  }, 60_000);
});
