import { join } from 'node:path';
import { FIXTURE_MODELS, makeModelRepo } from '../support/model-repo';
import { startServiceProcess, waitReady, type ServiceProcess } from '../support/service-process';
import { findSample, parseExposition, percentile, runLoad, scrapeMetric } from '../support/load';

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
    const slowCompute = async () => {
      const samples = parseExposition(await (await fetch(`${svc.url}/metrics`)).text());
      const labels = { model: 'slow', version: '1' };
      return {
        seconds: findSample(samples, 'inference_compute_duration_seconds_sum', labels) ?? 0,
        batches: findSample(samples, 'inference_compute_duration_seconds_count', labels) ?? 0,
      };
    };
    const before = await slowCompute();
    // The slow model is kept busy until the fast one's last request is answered, however long
    // this host makes either take.
    let fastDone = false;
    const [slow, fast] = await Promise.all([
      runLoad({
        url: `${svc.url}/v2/models/slow/infer`,
        count: 400,
        concurrency: 6,
        stop: () => fastDone,
        request: () => ({ body: slowBody(40_000) }),
      }),
      runLoad({
        url: fastUrl,
        count: 60,
        concurrency: 2,
        pauseMs: 10,
        request: (i) => ({ body: indexBody(i % 10) }),
      }).finally(() => (fastDone = true)),
    ]);
    const after = await slowCompute();
    const slowBatches = after.batches - before.batches;
    // What one slow batch took on this host at this moment: the load that slows it slows the fast
    // model's requests too, so the bound below moves with the host instead of being a fixed number.
    const slowBatchMs = ((after.seconds - before.seconds) / slowBatches) * 1000;
    const count = (rs: typeof slow, s: number) => rs.filter((r) => r.status === s).length;
    const p = (rs: typeof slow, q: number) =>
      percentile(
        rs.map((r) => r.ms),
        q,
      );
    const fmt = (rs: typeof slow, q: number) => p(rs, q).toFixed(1);
    console.log(
      `slow model: ${count(slow, 200)} x 200, ${count(slow, 504)} x 504, ${count(slow, 503)} x 503, ` +
        `${slowBatches} batches of ${slowBatchMs.toFixed(1)} ms on average; fast model p50/p90/p99 ms ` +
        `alone ${fmt(baseline, 50)}/${fmt(baseline, 90)}/${fmt(baseline, 99)}, ` +
        `next to the slow one ${fmt(fast, 50)}/${fmt(fast, 90)}/${fmt(fast, 99)}`,
    );
    expect(slow.every((r) => r.status === 200 || r.status === 504)).toBe(true);
    expect(count(slow, 504)).toBeGreaterThan(0);
    // Deadlines the client chose do not open the slow model's breaker.
    expect(await scrapeMetric(svc.url, 'model_circuit_breaker_state', { model: 'slow', version: '1' })).toBe(
      0,
    );
    expect(fast.every((r) => r.status === 200)).toBe(true);
    // Without a slow batch there was nothing to be stalled by.
    expect(slowBatches).toBeGreaterThan(0);
    // The slow model holds at most one of the shared onnxruntime threads and the fast one has a
    // session on two (service/src/runtime/session-pool.ts), so a fast request never waits out a slow
    // batch: nine in ten of its requests take well under half of one. Sharing a thread (or the event
    // loop) with the slow model would make a fast request wait for the rest of the batch running
    // when it came, up to a whole one, which puts the ninth decile near a whole batch.
    expect(p(fast, 90)).toBeLessThan(slowBatchMs / 2);
    const res = await post('slow', slowBody(1));
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({ error: expect.stringMatching(/deadline/i) });
  }, 60_000);
});
