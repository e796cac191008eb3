import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_MODELS, makeModelRepo } from '../support/model-repo';
import { scrapeMetric } from '../support/load';
import {
  getRollout,
  postRollout,
  rolloutModel,
  steadyLoad,
  waitForRollout,
  type TimedResult,
} from '../support/rollout';
import { startServiceProcess, waitReady, type ServiceProcess } from '../support/service-process';

/**
 * Model rollouts on one replica (no Redis: per-process state), real process, real models, 2 s
 * windows. `m` canaries flaky (fails on cue) behind a fallback model, so clients never see the
 * failures but the controller must; `lat` canaries flaky-slow, which only breaks the latency SLA.
 */
const ROLLBACK_TARGET_S = 30;

describe('model rollout, one replica', () => {
  let repo: ReturnType<typeof makeModelRepo>;
  let svc: ServiceProcess;

  beforeAll(async () => {
    repo = makeModelRepo([
      rolloutModel('m', 'flaky', { fallback: { model: 'm-fallback', use_cache: false } }),
      { name: 'm-fallback', from: join(FIXTURE_MODELS, 'flaky-fallback') },
      rolloutModel('lat', 'flaky-slow', { sla: { p99_latency_ms: 10 } }),
      {
        ...rolloutModel('pub', 'flaky'),
        versions: ['1'],
        config: {
          version_policy: { latest: { num_versions: 2 } },
          rollout: { auto_start: true, window_seconds: 2 },
        },
      },
    ]);
    svc = await startServiceProcess({ MODEL_REPOSITORY: repo.path, RATE_LIMIT_RPS: '100000' });
    await waitReady(svc, 60_000);
  }, 120_000);
  afterAll(async () => {
    await svc?.stop();
    repo?.cleanup();
  });

  it('says its state is per process, in the log and on the API', async () => {
    expect(svc.lines.some((l) => l.includes('rollout state is per process'))).toBe(true);
    const view = await getRollout(svc.url, 'm');
    expect(view).toMatchObject({
      scope: 'process',
      state: 'stable',
      note: expect.stringMatching(/per process/),
    });
  });

  it('rolls a canary that fails on cue back within 30 s, counting answers the fallback rescued', async () => {
    const cue = { failing: false };
    let rolledBack!: (v: Awaited<ReturnType<typeof getRollout>>) => void;
    const done = new Promise<Awaited<ReturnType<typeof getRollout>>>((r) => (rolledBack = r));
    const settle = done.then(() => new Promise((r) => setTimeout(r, 3000)));
    const load = steadyLoad([`${svc.url}/v2/models/m/infer`], cue, settle);

    await new Promise((r) => setTimeout(r, 1000));
    expect((await postRollout(svc.url, 'm', { action: 'start', version: '2' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1000));
    cue.failing = true;
    const cueAt = Date.now();
    const view = await waitForRollout(svc.url, 'm', (v) => v.state === 'rolled_back', 40_000);
    rolledBack(view);
    const results: TimedResult[] = await load;

    const decision = view.history.at(-1)!;
    const seconds = (Date.parse(decision.at) - cueAt) / 1000;
    console.log(`rollback ${seconds.toFixed(1)} s after the canary started failing: ${decision.reason}`);
    expect(decision).toMatchObject({ kind: 'rollback', by: 'controller', version: '2', weightPct: 0 });
    expect(decision.reason).toMatch(/^error_ratio/);
    expect(seconds).toBeLessThan(ROLLBACK_TARGET_S);
    expect(view).toMatchObject({
      weights: { stable: 100, canary: 0 },
      versions: { stable: '1', canary: '2' },
    });

    // Nothing lost: every request answered, by its own id; the fallback answered the canary's failures.
    expect(results.every((r) => r.status === 200 && r.echoedId === r.requestId)).toBe(true);
    const rescued = results.filter((r) => r.headers?.get('x-served-by') === 'fallback:m-fallback');
    expect(rescued.length).toBeGreaterThan(0);
    expect(rescued.every((r) => r.headers?.get('x-model-variant') === 'canary')).toBe(true);
    // After the decision (plus a tick for the router to see it) no request goes to the canary.
    const after = results.filter((r) => r.at > Date.parse(decision.at) + 500);
    expect(after.length).toBeGreaterThan(50);
    expect(after.every((r) => r.headers?.get('x-model-variant') === 'stable')).toBe(true);

    expect(await scrapeMetric(svc.url, 'model_rollout_state', { model: 'm', version: '2' })).toBe(3);
    expect(await scrapeMetric(svc.url, 'model_rollout_weight', { model: 'm', version: '2' })).toBe(0);
    expect(await scrapeMetric(svc.url, 'model_rollout_weight', { model: 'm', version: '1' })).toBe(100);
    expect(
      await scrapeMetric(svc.url, 'model_rollout_decisions_total', { model: 'm', kind: 'rollback' }),
    ).toBe(1);
    expect(svc.lines.some((l) => l.includes('"msg":"rollout rolled back"') && l.includes('"evidence"'))).toBe(
      true,
    );
  }, 60_000);

  it('walks a healthy canary through every step and promotes it', async () => {
    const start = await postRollout(svc.url, 'm', { action: 'start', version: '2' });
    expect(start.status).toBe(200);
    const promoted = waitForRollout(svc.url, 'm', (v) => v.state === 'promoted', 40_000);
    const results = await steadyLoad([`${svc.url}/v2/models/m/infer`], { failing: false }, promoted);
    const view = await promoted;
    const rollout = view.history.slice(view.history.map((d) => d.kind).lastIndexOf('start'));
    expect(rollout.map((d) => [d.kind, d.weightPct])).toEqual([
      ['start', 10],
      ['step', 50],
      ['step', 100],
      ['promote', 0],
    ]);
    expect(view).toMatchObject({
      versions: { stable: '2', canary: null },
      weights: { stable: 100, canary: 0 },
    });
    expect(results.every((r) => r.status === 200)).toBe(true);
    // Now version 2 answers as stable.
    const res = await fetch(`${svc.url}/v2/models/m/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'index', shape: [1, 1], datatype: 'INT64', data: [3] }] }),
    });
    expect(res.headers.get('x-model-variant')).toBe('stable');
    expect(await res.json()).toMatchObject({ model_version: '2' });
    expect(await scrapeMetric(svc.url, 'model_rollout_state', { model: 'm', version: '2' })).toBe(2);
  }, 60_000);

  it('rolls back a canary that is only slower than the SLA, for latency', async () => {
    expect((await postRollout(svc.url, 'lat', { action: 'start', version: '2' })).status).toBe(200);
    const rolled = waitForRollout(svc.url, 'lat', (v) => v.state !== 'canary', 30_000);
    const results = await steadyLoad([`${svc.url}/v2/models/lat/infer`], { failing: false }, rolled);
    const view = await rolled;
    const decision = view.history.at(-1)!;
    expect(decision.kind).toBe('rollback');
    expect(decision.reason).toMatch(/^latency: canary p99 in \(\d+, \d+\] ms against the SLA p99 of 10 ms$/);
    // Only slower: every request still succeeded.
    expect(results.every((r) => r.status === 200)).toBe(true);
  }, 60_000);

  it('starts a rollout when a new version is published and loaded, as the config asks', async () => {
    expect(await getRollout(svc.url, 'pub')).toMatchObject({ state: 'stable', versions: { stable: '1' } });
    mkdirSync(join(repo.path, 'pub', '2'));
    symlinkSync(
      join(FIXTURE_MODELS, 'flaky-fallback', '1', 'model.onnx'),
      join(repo.path, 'pub', '2', 'model.onnx'),
    );
    expect((await fetch(`${svc.url}/v2/repository/models/pub/load`, { method: 'POST' })).status).toBe(200);
    const view = await waitForRollout(svc.url, 'pub', (v) => v.state === 'canary', 5000);
    expect(view).toMatchObject({ versions: { stable: '1', canary: '2' }, weights: { canary: 10 } });
    expect(view.history.at(-1)).toMatchObject({ kind: 'start', by: 'controller', version: '2' });
  });

  it('rejects bad rollout actions with a 4xx naming the problem', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ action: 'explode' }, 400, /action must be one of start, pause, resume, promote, rollback/],
      [{ action: 'start' }, 400, /version is required/],
      [{ action: 'start', version: 2 }, 400, /version must be a non-empty string/],
      [{ action: 'start', version: '9' }, 404, /version/],
      [{ action: 'promote' }, 409, /no rollout in progress/],
      [[1], 400, /JSON object/],
    ];
    for (const [body, status, message] of cases) {
      const res = await postRollout(svc.url, 'lat', body);
      expect([res.status, ((await res.json()) as { error: string }).error]).toEqual([
        status,
        expect.stringMatching(message),
      ]);
    }
    expect((await postRollout(svc.url, 'nope', { action: 'rollback' })).status).toBe(404);
  });
});
