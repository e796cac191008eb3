import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { QualityProfileFile } from '../src/quality/quality-observer';
import { CONFIDENCE_BUCKETS } from '../src/quality/quality-profile';
import { findSample, parseExposition } from '../../test/support/load';
import { BUNDLED_MODELS, patchedModelService, postJson } from './http-support';

const MODEL = path.join(BUNDLED_MODELS, 'breast-cancer');
const heldOut = JSON.parse(readFileSync(path.join(MODEL, 'testdata', 'test.json'), 'utf8')) as {
  inputs: number[][];
};
const reference = (
  JSON.parse(readFileSync(path.join(MODEL, 'quality-profile.json'), 'utf8')) as QualityProfileFile
).versions['1'];
const THRESHOLD = 0.25;

describe('model quality monitoring over HTTP', () => {
  // One window is exactly the held-out split, so the held-out traffic fills it alone.
  const service = patchedModelService('breast-cancer', {
    cache: { enabled: false, ttl_seconds: 60 },
    traffic: undefined,
    fallback: undefined,
    drift: {
      reference_profile: 'reference-profile.json',
      window_rows: heldOut.inputs.length,
      psi_threshold: 0.25,
    },
    quality: {
      scores_output: 'probabilities',
      reference_profile: 'quality-profile.json',
      window_rows: heldOut.inputs.length,
      shift_threshold: THRESHOLD,
    },
  });

  const sendAll = async (rows: number[][], outputs?: string[]) => {
    for (let i = 0; i < rows.length; i += 50) {
      const chunk = rows.slice(i, i + 50);
      const res = await postJson(`${service.svc.url}/v2/models/breast-cancer/versions/1/infer`, {
        inputs: [{ name: 'input', datatype: 'FP32', shape: [chunk.length, 30], data: chunk.flat() }],
        ...(outputs && { outputs: outputs.map((name) => ({ name })) }),
      });
      expect(res.status).toBe(200);
    }
  };
  const metrics = async () => parseExposition(await (await fetch(`${service.svc.url}/metrics`)).text());
  const labels = { model: 'breast-cancer', version: '1' };

  it('reproduces the reference histogram from the held-out data, with a shift near 0', async () => {
    await sendAll(heldOut.inputs);
    // The observers run after the responses are written, in the next turn of the event loop.
    await new Promise((r) => setImmediate(r));
    const samples = await metrics();
    const cumulative = [...CONFIDENCE_BUCKETS.map(String), '+Inf'].map(
      (le) => findSample(samples, 'model_confidence_bucket', { ...labels, le }) ?? NaN,
    );
    const total = cumulative[cumulative.length - 1];
    expect(total).toBe(heldOut.inputs.length);
    // The histogram's `le` buckets are upper-inclusive, the profile's bins lower-inclusive: no
    // held-out score sits on an edge, so the shares agree.
    const shares = cumulative.map((c, i) => (c - (i > 0 ? cumulative[i - 1] : 0)) / total);
    shares.forEach((share, i) => expect(share).toBeCloseTo(reference.features[0].expected[i], 5));
    expect(findSample(samples, 'model_confidence_shift', labels)).toBeLessThan(0.01);
    expect(findSample(samples, 'model_prediction_drift', labels)).toBeLessThan(0.01);
    const benign = findSample(samples, 'model_predicted_class_total', { ...labels, class: '1' });
    expect(benign! / total).toBeCloseTo(reference.features[1].expected[1], 5);
  });

  it('raises the shift above its threshold for the degraded stream that raises drift', async () => {
    await sendAll(heldOut.inputs.map((row) => row.map((x) => x * 3 + 100)));
    await new Promise((r) => setImmediate(r));
    const samples = await metrics();
    expect(findSample(samples, 'model_confidence_shift', labels)).toBeGreaterThan(THRESHOLD);
    expect(findSample(samples, 'drift_score', labels)).toBeGreaterThan(THRESHOLD);
  });

  it('skips answers without the scores output', async () => {
    const before = findSample(await metrics(), 'model_confidence_count', labels);
    await sendAll(heldOut.inputs.slice(0, 10), ['label']);
    await new Promise((r) => setImmediate(r));
    expect(findSample(await metrics(), 'model_confidence_count', labels)).toBe(before);
  });
});
