import type { EngineObserver } from '../core/observer';
import type { CostMeter } from '../cost/cost-meter';
import type { ServiceMetrics } from './metrics';
import type { ModelStatistics } from './model-statistics';

/**
 * Feeds the engine's batch, queue and load events into the Prometheus metrics, the cost meter and
 * the per-version statistics.
 */
export function metricsObserver(
  metrics: ServiceMetrics,
  cost?: Pick<CostMeter, 'addBusy'>,
  statistics?: Pick<ModelStatistics, 'onBatch'>,
): EngineObserver {
  return {
    onBatch(batch) {
      const { model, version, size, queueSeconds, computeSeconds, busySeconds } = batch;
      statistics?.onBatch(batch);
      cost?.addBusy(model, version, busySeconds);
      const series = metrics.byVersion.get(model, version);
      series.batchSize.observe(size);
      series.computeDuration.observe(computeSeconds);
      for (const s of queueSeconds) series.queueDuration.observe(s);
    },
    onQueueDepth({ model, version, depth }) {
      metrics.byVersion.get(model, version).queueDepth.set(depth);
    },
    onModelLoad({ model, version, seconds, ok }) {
      if (ok) metrics.modelLoadDuration.observe({ model, version }, seconds);
      else metrics.modelLoadFailures.inc({ model, version });
    },
    onReject({ model, version, reason }) {
      metrics.rejections.inc({ model, version, reason });
    },
  };
}
