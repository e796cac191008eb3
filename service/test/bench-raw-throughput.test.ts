import { join } from 'node:path';
import { measureRawThroughput } from '../bench/raw-throughput';
import { BUNDLED } from './engine-support/repo';

describe('measureRawThroughput', () => {
  test('runs the model back to back at the given batch size and reports rows per second', async () => {
    const r = await measureRawThroughput({
      modelDir: join(BUNDLED, 'breast-cancer'),
      version: '2',
      batchSize: 8,
      durationMs: 100,
    });
    expect(r.batchSize).toBe(8);
    expect(r.runs).toBeGreaterThan(0);
    expect(r.seconds).toBeGreaterThanOrEqual(0.1);
    expect(r.rowsPerSecond).toBeCloseTo((r.runs * 8) / r.seconds, 6);
    expect(r.meanRunMs).toBeCloseTo((r.seconds * 1000) / r.runs, 6);
    // One intra-op thread cannot use more than the wall time, plus the event loop's share.
    expect(r.rowsPerCpuSecond).toBeGreaterThan(r.rowsPerSecond * 0.5);
    expect(Number.isFinite(r.rowsPerCpuSecond)).toBe(true);
  });

  test('a model without a batch dimension runs one request per run', async () => {
    const r = await measureRawThroughput({
      modelDir: join(BUNDLED, 'digits'),
      batchSize: 16,
      durationMs: 50,
    });
    expect(r.batchSize).toBe(1);
  });

  test('a missing model file fails with its path', async () => {
    await expect(
      measureRawThroughput({ modelDir: join(BUNDLED, 'digits'), version: '9', batchSize: 1 }),
    ).rejects.toThrow(/digits\/9\/model\.onnx/);
  });
});
