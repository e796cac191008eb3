import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUNDLED_MODELS, postJson, startTestService, type TestService } from './http-support';

/**
 * The held-out breast-cancer split, sent through HTTP, must reproduce the accuracy recorded when
 * the models were trained (models/breast-cancer/testdata/metrics.json).
 */
const testdata = path.join(BUNDLED_MODELS, 'breast-cancer', 'testdata');
const split = JSON.parse(readFileSync(path.join(testdata, 'test.json'), 'utf8')) as {
  inputs: number[][];
  labels: number[];
};
const recorded = JSON.parse(readFileSync(path.join(testdata, 'metrics.json'), 'utf8')) as Record<
  string,
  { accuracy: number; correct: number }
> & { n: number };

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
  await svc.loaded;
}, 60_000);
afterAll(() => svc?.stop(5000));

describe('held-out breast-cancer split over HTTP', () => {
  it('has the recorded size', () => {
    expect(split.inputs).toHaveLength(recorded.n);
    expect(split.labels).toHaveLength(recorded.n);
  });

  it.each(['1', '2'])('version %s reproduces its recorded accuracy, one row per request', async (version) => {
    const url = `${svc.url}/v2/models/breast-cancer/versions/${version}/infer`;
    const predictions = await Promise.all(
      split.inputs.map(async (row, i) => {
        const res = await postJson(url, {
          id: String(i),
          inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], data: row }],
          outputs: [{ name: 'label' }],
        });
        expect(res.status).toBe(200);
        expect(res.json.id).toBe(String(i));
        return (res.json.outputs as { data: number[] }[])[0].data[0];
      }),
    );
    const correct = predictions.filter((p, i) => p === split.labels[i]).length;
    expect(correct).toBe(recorded[version].correct);
    expect(correct / recorded.n).toBeCloseTo(recorded[version].accuracy, 10);
  });

  it('gives the same labels in multi-row requests of up to max_batch_size (64) rows', async () => {
    const labels: number[] = [];
    for (let start = 0; start < recorded.n; start += 64) {
      const rows = split.inputs.slice(start, start + 64);
      const res = await postJson(`${svc.url}/v2/models/breast-cancer/versions/1/infer`, {
        inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 30], data: rows }],
      });
      expect(res.status).toBe(200);
      labels.push(
        ...(res.json.outputs as { name: string; data: number[] }[]).find((o) => o.name === 'label')!.data,
      );
    }
    expect(labels.filter((p, i) => p === split.labels[i]).length).toBe(recorded['1'].correct);
  });
});
