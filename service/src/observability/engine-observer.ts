import type { EngineObserver } from '../core/observer';
import type { ServiceMetrics } from './metrics';

/** Feeds the engine's batch, queue and load events into the Prometheus metrics. */
export function metricsObserver(metrics: ServiceMetrics): EngineObserver {
  return {
    onBatch({ model, version, size, queueSeconds, computeSeconds }) {
      const labels = { model, version };
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
