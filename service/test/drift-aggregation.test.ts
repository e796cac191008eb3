import pino from 'pino';
import { AggregatorRegistry, Registry, type Gauge } from 'prom-client';
import { createDriftObserver } from '../src/drift/drift-observer';
import { createQualityObserver } from '../src/quality/quality-observer';
import { VersionScores } from '../src/drift/version-scores';

/** What /metrics shows with WORKERS > 1: each worker's registry merged by the cluster primary. */
test.each([
  ['drift_score', createDriftObserver],
  ['model_confidence_shift', createQualityObserver],
  ['model_prediction_drift', createQualityObserver],
])('%s across workers is the largest worker score, not their sum', async (name, createObserver) => {
  const workers = [0.4, 0.3].map((score) => {
    const registry = new Registry();
    createObserver({
      repositoryPath: '.',
      modelConfig: () => {
        throw new Error('not called: nothing is observed');
      },
      registry,
      logger: pino({ level: 'silent' }),
      scores: new VersionScores(),
    });
    (registry.getSingleMetric(name) as Gauge).set({ model: 'm', version: '1' }, score);
    return registry;
  });
  const merged = AggregatorRegistry.aggregate(await Promise.all(workers.map((r) => r.getMetricsAsJSON())));
  const metric = await merged.getSingleMetric(name)!.get();
  expect(metric.values).toEqual([
    expect.objectContaining({ labels: { model: 'm', version: '1' }, value: 0.4 }),
  ]);
});
