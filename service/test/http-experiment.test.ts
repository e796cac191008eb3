import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { scrapeMetric } from '../../test/support/load';
import { describeWithRedis, RedisServer } from '../../test/support/redis-server';
import { createProductionGuards } from '../src/guards';
import { makeModelRepo } from '../../test/support/model-repo';
import { BUNDLED_MODELS, abBreastCancer, postJson, startTestService, type TestService } from './http-support';

const heldOut = JSON.parse(
  readFileSync(path.join(BUNDLED_MODELS, 'breast-cancer', 'testdata', 'test.json'), 'utf8'),
) as { inputs: number[][]; labels: number[] };
const rowRequest = (row: number[]) => ({
  inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: row }],
});
const BC = path.join(BUNDLED_MODELS, 'breast-cancer');
const noCache = { cache: { enabled: false, ttl_seconds: 60 }, drift: undefined };

/**
 * A/B outcomes and shadow agreement over HTTP on the bundled breast-cancer versions and their
 * held-out data: v1 (logistic regression) and v2 (random forest) disagree on a few rows.
 */
describe('A/B feedback, experiment report and shadow agreement over HTTP', () => {
  let repo: ReturnType<typeof makeModelRepo>;
  let svc: TestService;

  beforeAll(async () => {
    repo = makeModelRepo([
      abBreastCancer('breast-cancer'),
      { name: 'breast-cancer-lite', from: path.join(BUNDLED_MODELS, 'breast-cancer-lite') },
      {
        name: 'bc-shadow',
        from: BC,
        versions: ['1', '2'],
        config: { ...noCache, traffic: { stable: '1', shadow: { version: '2', sample_pct: 100 } } },
      },
      {
        name: 'bc-same',
        from: BC,
        versions: ['1', '2'],
        versionFrom: { '2': path.join(BC, '1') },
        config: { ...noCache, traffic: { stable: '1', shadow: { version: '2', sample_pct: 100 } } },
      },
    ]);
    svc = await startTestService({ MODEL_REPOSITORY: repo.path });
    await svc.loaded;
  }, 60_000);
  afterAll(async () => {
    await svc?.stop(5000);
    repo?.cleanup();
  });

  const infer = (model: string, row: number[], headers: Record<string, string> = {}, version?: string) =>
    postJson(
      `${svc.url}/v2/models/${model}${version ? `/versions/${version}` : ''}/infer`,
      rowRequest(row),
      headers,
    );
  const feedback = (model: string, body: unknown) => postJson(`${svc.url}/v2/models/${model}/feedback`, body);

  it('joins label feedback to the variant that answered and reports each variant’s accuracy', async () => {
    const served: { id: string; variant: string; label: number; truth: number }[] = [];
    for (const [i, row] of heldOut.inputs.entries()) {
      const res = await infer('breast-cancer', row, { 'x-experiment-key': `user-${i}` });
      expect(res.status).toBe(200);
      const label = Number(
        (res.json.outputs as { name: string; data: number[] }[]).find((o) => o.name === 'label')!.data[0],
      );
      served.push({
        id: res.headers.get('x-request-id')!,
        variant: res.headers.get('x-model-variant')!,
        label,
        truth: heldOut.labels[i],
      });
    }
    for (const s of served) {
      const res = await feedback('breast-cancer', { id: s.id, label: s.truth });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ id: s.id, variant: s.variant.slice(3), correct: s.label === s.truth });
    }
    const report = (await (await fetch(`${svc.url}/v2/models/breast-cancer/experiment`)).json()) as {
      metric: string;
      variants: {
        variant: string;
        requests: number;
        feedback: number;
        outcome: { value: number; n: number };
      }[];
      significance: { test: string };
      verdict: string;
    };
    expect(report.metric).toBe('accuracy');
    for (const name of ['control', 'treatment']) {
      const mine = served.filter((s) => s.variant === `ab:${name}`);
      const v = report.variants.find((x) => x.variant === name)!;
      expect(v).toMatchObject({ requests: mine.length, feedback: mine.length });
      expect(v.outcome.value).toBeCloseTo(mine.filter((s) => s.label === s.truth).length / mine.length, 10);
    }
    expect(report.significance.test).toBe('two-proportion z-test (pooled, two-sided)');
    // 98.6% vs 95.1% on about 70 rows each is far from significant: the report says so.
    expect(report.verdict).toMatch(/^No winner yet: .* more feedback samples per variant/);
  }, 60_000);

  it('answers bad feedback with a 4xx naming the problem, and loses nothing', async () => {
    const res = await infer('breast-cancer', heldOut.inputs[0], { 'x-experiment-key': 'user-bad' });
    const id = res.headers.get('x-request-id')!;
    const cases: [string, unknown, number, RegExp][] = [
      ['breast-cancer', { id: 'never-served', label: 1 }, 404, /no A\/B prediction with id 'never-served'/],
      [
        'breast-cancer-lite',
        { id, label: 1 },
        409,
        /served by model 'breast-cancer', not 'breast-cancer-lite'/,
      ],
      ['breast-cancer', { id, label: { x: 1 } }, 400, /label must be a string or a finite number/],
      ['breast-cancer', { id, reward: 'high' }, 400, /reward must be a finite number/],
      ['breast-cancer', { id, label: 1, reward: 1 }, 400, /exactly one of label, value or reward, got 2/],
      ['breast-cancer', { id: 7, label: 1 }, 400, /id must be the request id string/],
      ['nope', { id, label: 1 }, 404, /nope/],
    ];
    for (const [model, body, status, message] of cases) {
      const r = await feedback(model, body);
      expect([r.status, (r.json as { error: string }).error]).toEqual([
        status,
        expect.stringMatching(message),
      ]);
    }
    // None of that consumed the prediction: the right feedback still lands, once.
    expect((await feedback('breast-cancer', { id, label: 1 })).status).toBe(200);
    const again = await feedback('breast-cancer', { id, label: 1 });
    expect([again.status, (again.json as { error: string }).error]).toEqual([
      409,
      expect.stringMatching(/already has feedback/),
    ]);
  });

  async function shadowAgreement(model: string): Promise<{ ratio: number | undefined; expected: number }> {
    let disagree = 0;
    for (const row of heldOut.inputs) {
      const [a, b] = await Promise.all(['1', '2'].map((v) => infer(model, row, {}, v)));
      const label = (r: typeof a) =>
        (r.json.outputs as { name: string; data: number[] }[]).find((o) => o.name === 'label')!.data[0];
      if (label(a) !== label(b)) disagree++;
      const res = await infer(model, row);
      expect(res.headers.get('x-model-variant')).toBe('stable');
    }
    const stop = Date.now() + 10_000;
    while (
      (await scrapeMetric(svc.url, 'inference_shadow_requests_total', {
        model,
        version: '2',
        outcome: 'ok',
      })) !== heldOut.inputs.length
    ) {
      if (Date.now() > stop) throw new Error('shadow copies did not all complete');
      await new Promise((r) => setTimeout(r, 50));
    }
    const ratio = await scrapeMetric(svc.url, 'model_shadow_agreement_ratio', {
      model,
      primary: '1',
      shadow: '2',
    });
    return { ratio, expected: 1 - disagree / heldOut.inputs.length };
  }

  it('reports shadow agreement 1.0 for identical versions', async () => {
    const { ratio, expected } = await shadowAgreement('bc-same');
    expect(expected).toBe(1);
    expect(ratio).toBe(1);
  }, 60_000);

  it('reports the known disagreement of v1 and v2 on the held-out data', async () => {
    const { ratio, expected } = await shadowAgreement('bc-shadow');
    // v1 is right on 141 of 143 rows and v2 on 136 (testdata/metrics.json): they disagree on at least 5.
    expect(expected).toBeLessThanOrEqual(1 - 5 / 143);
    console.log(
      `shadow agreement v1/v2 on the ${heldOut.inputs.length} held-out rows: ${ratio} (expected ${expected})`,
    );
    expect(ratio).toBeCloseTo(expected, 10);
  }, 60_000);
});

describeWithRedis('A/B feedback shared by two replicas through Redis', () => {
  let redis: RedisServer;
  let repo: ReturnType<typeof makeModelRepo>;
  let a: TestService;
  let b: TestService;

  beforeAll(async () => {
    redis = await RedisServer.start();
    repo = makeModelRepo([abBreastCancer('breast-cancer')]);
    const env = { MODEL_REPOSITORY: repo.path, REDIS_URL: redis.url };
    [a, b] = await Promise.all([0, 1].map(() => startTestService(env, { guards: createProductionGuards })));
    await Promise.all([a.loaded, b.loaded]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(5000), b?.stop(5000)]);
    await redis?.stop();
    repo?.cleanup();
  });

  it('joins feedback sent to another replica, once, and keeps the prediction with a TTL', async () => {
    const until = Date.now() + 5000;
    const scope = async () =>
      ((await (await fetch(`${a.url}/v2/models/breast-cancer/experiment`)).json()) as { scope: string })
        .scope;
    while ((await scope()) !== 'shared') {
      if (Date.now() > until) throw new Error('redis not up');
      await new Promise((r) => setTimeout(r, 50));
    }
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await postJson(`${a.url}/v2/models/breast-cancer/infer`, rowRequest(heldOut.inputs[i]), {
        'x-experiment-key': `k-${i}`,
      });
      ids.push(res.headers.get('x-request-id')!);
    }
    await new Promise((r) => setTimeout(r, 200)); // the observe phase runs after the answers
    const client = new Redis(redis.url);
    const ttl = await client.pttl(`experiment:prediction:{${ids[0]}}`);
    await client.quit();
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
    for (const [i, id] of ids.entries()) {
      const res = await postJson(`${b.url}/v2/models/breast-cancer/feedback`, {
        id,
        label: heldOut.labels[i],
      });
      expect(res.status).toBe(200);
    }
    const dup = await postJson(`${a.url}/v2/models/breast-cancer/feedback`, { id: ids[0], label: 1 });
    expect(dup.status).toBe(409);
    const report = (await (await fetch(`${b.url}/v2/models/breast-cancer/experiment`)).json()) as {
      scope: string;
      variants: { requests: number; feedback: number }[];
    };
    expect(report.scope).toBe('shared');
    expect(report.variants.reduce((s, v) => s + v.requests, 0)).toBe(20);
    expect(report.variants.reduce((s, v) => s + v.feedback, 0)).toBe(20);
  }, 30_000);
});
