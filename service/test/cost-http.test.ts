import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findSample, parseExposition, runLoad, type Sample } from '../../test/support/load';
import { breastCancerRequest, startTestService, tempRepository, type TestService } from './http-support';

// One dollar per second: the expected totals are the elapsed seconds.
const USD_PER_HOUR = 3600;
const HEAVY = 'heavy-mlp';
const LIGHT = 'breast-cancer';

const heavyRequest = (rows: number) =>
  JSON.stringify({
    parameters: { cache: false },
    inputs: [
      {
        name: 'input',
        datatype: 'FP32',
        shape: [rows, 256],
        data: Array.from({ length: rows * 256 }, (_, i) => (i % 17) / 17),
      },
    ],
  });

describe('cost attribution over HTTP', () => {
  let svc: TestService;
  let repo: ReturnType<typeof tempRepository>;

  beforeAll(async () => {
    repo = tempRepository([HEAVY, LIGHT]);
    // The light model alone: no cache (every request computes), no canary version, no fallback.
    const file = path.join(repo.dir, LIGHT, 'config.json');
    const { traffic, fallback, cache, ...config } = JSON.parse(readFileSync(file, 'utf8'));
    void [traffic, fallback, cache];
    writeFileSync(file, JSON.stringify({ ...config, version_policy: { specific: { versions: [1] } } }));
    svc = await startTestService({ MODEL_REPOSITORY: repo.dir, POD_COST_PER_HOUR_USD: String(USD_PER_HOUR) });
    await svc.loaded;
  }, 60_000);
  afterAll(async () => {
    await svc?.stop(5000);
    repo?.remove();
  });

  /** One scrape, timed at its middle (the settlement happens while it is served). */
  const scrape = async (): Promise<{ at: number; samples: Sample[] }> => {
    const before = performance.now();
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    return { at: (before + performance.now()) / 2, samples: parseExposition(text) };
  };

  it('splits the pod cost by compute and traffic, adding up to cost per hour x time', async () => {
    const send = (model: string, body: string, concurrency: number, durationMs: number) =>
      runLoad({
        url: `${svc.url}/v2/models/${model}/versions/1/infer`,
        count: 100_000,
        concurrency,
        durationMs,
        request: () => ({ body }),
      });
    const lightBody = JSON.stringify(breastCancerRequest(1, { parameters: { cache: false } }));
    // Both versions have traffic before the first scrape, so no idle time is carried across it.
    await send(HEAVY, heavyRequest(1), 1, 1);
    await send(LIGHT, lightBody, 1, 1);
    const first = await scrape();
    const [heavy, light] = await Promise.all([
      send(HEAVY, heavyRequest(16), 4, 2500),
      send(LIGHT, lightBody, 1, 2500),
    ]);
    expect(heavy.every((r) => r.status === 200) && light.every((r) => r.status === 200)).toBe(true);
    const last = await scrape();

    const delta = (name: string, model: string, extra: Record<string, string> = {}) => {
      const labels = { model, version: '1', ...extra };
      return (findSample(last.samples, name, labels) ?? 0) - (findSample(first.samples, name, labels) ?? 0);
    };
    const seconds = (last.at - first.at) / 1000;
    const cost = {
      heavy: delta('inference_cost_usd_total', HEAVY),
      light: delta('inference_cost_usd_total', LIGHT),
    };
    const busy = {
      heavy: delta('inference_runtime_busy_seconds_total', HEAVY),
      light: delta('inference_runtime_busy_seconds_total', LIGHT),
    };
    const requests = {
      heavy: delta('inference_requests_total', HEAVY, { status: '200' }),
      light: delta('inference_requests_total', LIGHT, { status: '200' }),
    };

    // The totals add up to the pod's cost over the time between the scrapes.
    expect(Math.abs(cost.heavy + cost.light - seconds) / seconds).toBeLessThan(0.02);

    // Busy time is onnxruntime's alone: at most the batcher's view of each run, which adds the
    // thread hand-off; for the heavy model a large part of that view (the hand-off's waits grow
    // when the other cores are busy: 0.49 of it with a second jest worker running beside).
    const computeSum = (model: string) => delta('inference_compute_duration_seconds_sum', model);
    expect(busy.heavy).toBeLessThanOrEqual(computeSum(HEAVY));
    expect(busy.light).toBeLessThanOrEqual(computeSum(LIGHT));
    expect(busy.heavy).toBeGreaterThan(0.3 * computeSum(HEAVY));
    expect(busy.heavy).toBeGreaterThan(busy.light);

    // Each version's cost is its compute share plus its traffic's share of the idle time.
    const totalBusy = busy.heavy + busy.light;
    const busyShare = Math.min(1, totalBusy / seconds);
    const idle = seconds * (1 - busyShare);
    const totalRequests = requests.heavy + requests.light;
    for (const key of ['heavy', 'light'] as const) {
      const expected = seconds * busyShare * (busy[key] / totalBusy) + idle * (requests[key] / totalRequests);
      expect(Math.abs(cost[key] - expected)).toBeLessThan(0.02 * seconds);
    }
    expect(cost.heavy).toBeGreaterThan(cost.light);
  }, 60_000);
});
