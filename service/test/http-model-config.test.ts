import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { breastCancerRequest, patchedModelService, postJson } from './http-support';

const MODEL_URL = '/v2/models/breast-cancer/versions/1';

describe('dynamic_batching.default_timeout_microseconds over HTTP', () => {
  // A lone request waits the whole queue delay (no preferred size fills), far past the default.
  const service = patchedModelService('breast-cancer', {
    cache: { enabled: false, ttl_seconds: 60 },
    dynamic_batching: {
      max_queue_delay_microseconds: 200_000,
      preferred_batch_size: [],
      max_queue_size: 64,
      default_timeout_microseconds: 1000,
    },
  });

  it('times a request without a timeout out after the model default, with 504', async () => {
    const res = await postJson(`${service.svc.url}${MODEL_URL}/infer`, breastCancerRequest());
    expect(res.status).toBe(504);
    expect(res.json.error).toMatch(
      /model 'breast-cancer' version 1: request timed out after \d+ ms in the queue/,
    );
  });

  it('lets a request with its own, longer timeout wait out the queue delay', async () => {
    const res = await postJson(
      `${service.svc.url}${MODEL_URL}/infer`,
      breastCancerRequest(1, { parameters: { timeout: 5_000_000 } }),
    );
    expect(res.status).toBe(200);
    expect(res.json.model_version).toBe('1');
  });
});

describe('drift reference profile on reload', () => {
  const heldOut = JSON.parse(
    readFileSync(
      path.join(__dirname, '..', '..', 'models', 'breast-cancer', 'testdata', 'test.json'),
      'utf8',
    ),
  ) as { inputs: number[][] };
  const rows = heldOut.inputs.slice(0, 100);
  const service = patchedModelService('breast-cancer', {
    cache: { enabled: false, ttl_seconds: 60 },
    drift: { reference_profile: 'reference-profile.json', window_rows: rows.length, psi_threshold: 0.25 },
  });

  /** Sends one window of the held-out rows, then reads the score of the window that closed. */
  async function scoreOfOneWindow(): Promise<number> {
    for (let i = 0; i < rows.length; i += 50) {
      const chunk = rows.slice(i, i + 50);
      const res = await postJson(`${service.svc.url}${MODEL_URL}/infer`, {
        inputs: [{ name: 'input', datatype: 'FP32', shape: [chunk.length, 30], data: chunk.flat() }],
      });
      expect(res.status).toBe(200);
    }
    const text = await (await fetch(`${service.svc.url}/metrics`)).text();
    return Number(/drift_score\{model="breast-cancer",version="1"\} ([\d.e+-]+)/.exec(text)?.[1]);
  }

  it('scores against the profile on disk at the last load', async () => {
    expect(await scoreOfOneWindow()).toBeLessThan(0.25);

    // A profile recorded on data far above today's: every held-out value lands in the lowest bin.
    const file = path.join(service.dir, 'breast-cancer', 'reference-profile.json');
    const profile = JSON.parse(readFileSync(file, 'utf8')) as { features: { edges: number[] }[] };
    for (const f of profile.features) f.edges = f.edges.map((e) => e + 1e6);
    writeFileSync(file, JSON.stringify(profile));
    const load = await postJson(`${service.svc.url}/v2/repository/models/breast-cancer/load`, {});
    expect(load.status).toBe(200);

    expect(await scoreOfOneWindow()).toBeGreaterThan(1);
  });
});
