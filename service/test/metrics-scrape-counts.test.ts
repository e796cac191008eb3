import { parsePromText, type PromSample } from '../src/console/prom-text';
import { createProductionGuards } from '../src/guards';
import { OipClient } from './grpc-support';
import {
  breastCancerRequest,
  postJson,
  startTestService,
  tempRepository,
  type TestService,
} from './http-support';

/**
 * GET /metrics after a known set of requests on the real service (production guards, REST and
 * gRPC, loopback): every request-path series holds exactly what those requests put there.
 */
describe('a scrape after known requests', () => {
  const REST_OK = 6;
  const REST_BAD = 2;
  const GRPC_OK = 3;
  const CACHED = 3;
  const MODEL = 'breast-cancer';
  let repo: ReturnType<typeof tempRepository>;
  let svc: TestService;
  let samples: PromSample[];

  const row = breastCancerRequest(1).inputs[0].data;
  const rest = (version: string, body: unknown) =>
    postJson(`${svc.url}/v2/models/${MODEL}/versions/${version}/infer`, body);

  beforeAll(async () => {
    repo = tempRepository([MODEL]);
    svc = await startTestService(
      { MODEL_REPOSITORY: repo.dir, GRPC_PORT: 'ephemeral' },
      { guards: createProductionGuards },
    );
    await svc.loaded;
    // One at a time, so that every batch holds one request of one row.
    for (let i = 0; i < REST_OK; i++) {
      const res = await rest('1', { ...breastCancerRequest(1), parameters: { cache: false } });
      expect(res.status).toBe(200);
    }
    for (let i = 0; i < REST_BAD; i++) expect((await rest('1', '{"inputs": [')).status).toBe(400);
    const client = new OipClient(`127.0.0.1:${svc.grpcPort}`);
    try {
      for (let i = 0; i < GRPC_OK; i++) {
        const { error } = await client.call('ModelInfer', {
          model_name: MODEL,
          model_version: '1',
          parameters: { cache: { bool_param: false } },
          inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], contents: { fp32_contents: row } }],
        });
        expect(error).toBeUndefined();
      }
    } finally {
      client.close();
    }
    // The same cacheable request three times: one memory miss that runs the model, then two hits.
    for (let i = 0; i < CACHED; i++) expect((await rest('2', breastCancerRequest(1))).status).toBe(200);
    const scrape = await fetch(`${svc.url}/metrics`);
    samples = parsePromText(await scrape.text());
  }, 60_000);
  afterAll(async () => {
    await svc?.stop(5000);
    repo?.remove();
  });

  /** The value of the one sample with exactly these labels (le included for buckets). */
  function value(name: string, labels: Record<string, string>): number | undefined {
    const found = samples.filter(
      (s) =>
        s.name === name &&
        Object.keys(s.labels).length === Object.keys(labels).length &&
        Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
    expect(found.length).toBeLessThanOrEqual(1);
    return found[0]?.value;
  }

  /** A histogram's cumulative buckets, checked to be cumulative and to end at its count. */
  function histogram(name: string, labels: Record<string, string>) {
    const buckets = samples
      .filter(
        (s) => s.name === `${name}_bucket` && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      )
      .map((s) => ({ le: s.labels.le, value: s.value }));
    const count = value(`${name}_count`, labels)!;
    const sum = value(`${name}_sum`, labels)!;
    for (let i = 1; i < buckets.length; i++)
      expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
    expect(buckets.at(-1)).toEqual({ le: '+Inf', value: count });
    return { count, sum, le: Object.fromEntries(buckets.map((b) => [b.le, b.value])) };
  }

  const v1 = { model: MODEL, version: '1' };
  const v2 = { model: MODEL, version: '2' };

  it('counts every answered request once, by status and protocol', () => {
    expect(value('inference_requests_total', { ...v1, status: '200', protocol: 'rest' })).toBe(REST_OK);
    expect(value('inference_requests_total', { ...v1, status: '400', protocol: 'rest' })).toBe(REST_BAD);
    expect(value('inference_requests_total', { ...v1, status: '200', protocol: 'grpc' })).toBe(GRPC_OK);
    expect(value('inference_requests_total', { ...v2, status: '200', protocol: 'rest' })).toBe(CACHED);
    const rest1 = histogram('inference_request_duration_seconds', { ...v1, protocol: 'rest' });
    expect(rest1.count).toBe(REST_OK + REST_BAD);
    // Loopback requests of one row answer within a second, and not in zero time.
    expect(rest1.le['1']).toBe(rest1.count);
    expect(rest1.sum).toBeGreaterThan(0);
    expect(rest1.sum).toBeLessThan(rest1.count);
    expect(histogram('inference_request_duration_seconds', { ...v1, protocol: 'grpc' }).count).toBe(GRPC_OK);
  });

  it('counts each batch and each queued request of the model runs, cache hits excluded', () => {
    const ran = REST_OK + GRPC_OK;
    const batch = histogram('inference_batch_size', v1);
    expect(batch).toMatchObject({ count: ran, sum: ran });
    // le is inclusive: a batch of one row sits in the le="1" bucket.
    expect(batch.le['1']).toBe(ran);
    expect(histogram('inference_compute_duration_seconds', v1).count).toBe(ran);
    expect(histogram('inference_queue_duration_seconds', v1).count).toBe(ran);
    expect(histogram('inference_batch_size', v2)).toMatchObject({ count: 1, sum: 1 });
    expect(value('inference_queue_depth', v1)).toBe(0);
    expect(value('inference_in_flight_requests', {})).toBe(0);
  });

  it("counts the classifier's answered rows by confidence and predicted class", () => {
    const ran = REST_OK + GRPC_OK;
    expect(histogram('model_confidence', v1).count).toBe(ran);
    const byClass = samples.filter(
      (s) => s.name === 'model_predicted_class_total' && s.labels.model === MODEL && s.labels.version === '1',
    );
    expect(byClass.reduce((n, s) => n + s.value, 0)).toBe(ran);
  });

  it('counts the cache tier by tier, and nothing for requests that asked for no cache', () => {
    expect(value('prediction_cache_misses_total', { ...v2, tier: 'memory' })).toBe(1);
    expect(value('prediction_cache_hits_total', { ...v2, tier: 'memory' })).toBe(CACHED - 1);
    expect(samples.some((s) => s.name.startsWith('prediction_cache_') && s.labels.version === '1')).toBe(
      false,
    );
  });
});
