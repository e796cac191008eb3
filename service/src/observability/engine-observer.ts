import type { EngineObserver } from '../core/observer';
import type { CostMeter } from '../cost/cost-meter';
import type { ServiceMetrics } from './metrics';

/** Feeds the engine's batch, queue and load events into the Prometheus metrics and the cost meter. */
export function metricsObserver(metrics: ServiceMetrics, cost?: Pick<CostMeter, 'addBusy'>): EngineObserver {
  return {
    onBatch({ model, version, size, queueSeconds, computeSeconds, busySeconds }) {
      const labels = { model, version };
      cost?.addBusy(model, version, busySeconds);
      metrics.batchSize.observe(labels, size);
      metrics.computeDuration.observe(labels, computeSeconds);
      for (const s of queueSeconds) metrics.queueDuration.observe(labels, s);
    },
    onQueueDepth({ model, version, depth }) {
      metrics.queueDepth.set({ model, version }, depth);
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
