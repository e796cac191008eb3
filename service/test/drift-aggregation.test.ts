import pino from 'pino';
import { AggregatorRegistry, Registry, type Gauge } from 'prom-client';
import { createDriftObserver } from '../src/drift/drift-observer';
import { DriftScores } from '../src/drift/drift-scores';

/** What /metrics shows with WORKERS > 1: each worker's registry merged by the cluster primary. */
test('drift_score across workers is the largest worker score, not their sum', async () => {
  const workers = [0.4, 0.3].map((score) => {
    const registry = new Registry();
    createDriftObserver({
      repositoryPath: '.',
      modelConfig: () => {
        throw new Error('not called: nothing is observed');
      },
      registry,
      logger: pino({ level: 'silent' }),
      scores: new DriftScores(),
    });
    (registry.getSingleMetric('drift_score') as Gauge).set({ model: 'm', version: '1' }, score);
    return registry;
  });
  const merged = AggregatorRegistry.aggregate(await Promise.all(workers.map((r) => r.getMetricsAsJSON())));
  const metric = await merged.getSingleMetric('drift_score')!.get();
  expect(metric.values).toEqual([
    expect.objectContaining({ labels: { model: 'm', version: '1' }, value: 0.4 }),
  ]);
});
