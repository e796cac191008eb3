import { readFileSync } from 'node:fs';
import path from 'node:path';
import { breastCancerRequest, patchedModelService, postJson } from './http-support';

const heldOut = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', 'models', 'breast-cancer', 'testdata', 'test.json'), 'utf8'),
) as { inputs: number[][] };

describe('traffic routing and drift over HTTP', () => {
  const service = patchedModelService('breast-cancer', {
    cache: { enabled: false, ttl_seconds: 60 },
    traffic: {
      stable: '1',
      ab: {
        key_header: 'x-experiment-key',
        variants: [
          { name: 'control', version: '1', weight_pct: 50 },
          { name: 'treatment', version: '2', weight_pct: 50 },
        ],
      },
      shadow: { version: '2', sample_pct: 100 },
    },
    drift: { reference_profile: 'reference-profile.json', window_rows: 100, psi_threshold: 0.25 },
  });

  const infer = (headers: Record<string, string> = {}, body: unknown = breastCancerRequest()) =>
    postJson(`${service.svc.url}/v2/models/breast-cancer/infer`, body, headers);

  it('serves the stable version without an experiment key and says which variant answered', async () => {
    const res = await infer();
    expect(res.status).toBe(200);
    expect(res.json.model_version).toBe('1');
    expect(res.headers.get('x-model-variant')).toBe('stable');
  });

  it('keeps an experiment key on one variant and splits keys across both', async () => {
    const seen = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const key = `user-${i}`;
      const first = await infer({ 'x-experiment-key': key });
      const again = await infer({ 'x-experiment-key': key });
      expect(again.json.model_version).toBe(first.json.model_version);
      expect(first.headers.get('x-model-variant')).toBe(
        first.json.model_version === '1' ? 'ab:control' : 'ab:treatment',
      );
      seen.set(key, first.json.model_version as string);
    }
    expect(new Set(seen.values())).toEqual(new Set(['1', '2']));
  });

  it('honours an explicit version over the traffic policy', async () => {
    const res = await postJson(
      `${service.svc.url}/v2/models/breast-cancer/versions/2/infer`,
      breastCancerRequest(),
      {
        'x-experiment-key': 'user-0',
      },
    );
    expect(res.json.model_version).toBe('2');
    expect(res.headers.get('x-model-variant')).toBe('explicit');
  });

  it('sends shadow copies to the shadow version and counts them', async () => {
    await infer();
    const text = await (await fetch(`${service.svc.url}/metrics`)).text();
    const ok = /inference_shadow_requests_total\{model="breast-cancer",version="2",outcome="ok"\} (\d+)/.exec(
      text,
    );
    expect(Number(ok?.[1])).toBeGreaterThan(0);
  });

  it('scores held-out traffic as stable and shifted traffic as drift', async () => {
    const driftScore = async () => {
      const text = await (await fetch(`${service.svc.url}/metrics`)).text();
      return Number(/drift_score\{model="breast-cancer",version="1"\} ([\d.e+-]+)/.exec(text)?.[1]);
    };
    const send = (rows: number[][]) =>
      infer(
        {},
        { inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 30], data: rows.flat() }] },
      );

    // Earlier tests left rows in the open window: 200 rows guarantee one complete window of only these.
    const sendAll = async (rows: number[][]) => {
      for (let i = 0; i < rows.length; i += 50) await send(rows.slice(i, i + 50));
    };
    const sample = heldOut.inputs.slice(0, 100);
    await sendAll([...sample, ...sample]);
    const healthy = await driftScore();
    await sendAll([...sample, ...sample].map((row) => row.map((x) => x * 3 + 100)));
    const drifted = await driftScore();
    expect(healthy).toBeLessThan(0.25);
    expect(drifted).toBeGreaterThan(1);
    expect(drifted).toBeGreaterThan(healthy * 3);
  });
});
