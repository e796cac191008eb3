import type { Registry } from 'prom-client';
import { METRICS } from '@ml-platform/contract/names';
import { defineCounter } from '../observability/metrics';
import type { ObserveHook } from '../pipeline/phases';
import { CostAttribution } from './attribution';

export interface CostMeter {
  /** One batch's onnxruntime busy seconds (from the engine's batch events). */
  addBusy(model: string, version: string, seconds: number): void;
  /** Counts every answered request, cached ones included, as the traffic that shares idle time. */
  readonly observe: ObserveHook;
}

export interface CostMeterDeps {
  registry: Registry;
  /** What this process costs per hour: the pod's POD_COST_PER_HOUR_USD over its worker processes. */
  usdPerHour: number;
  /** Milliseconds on any monotonic clock. */
  now: () => number;
}

/**
 * Exports `inference_cost_usd_total{model,version}` and `inference_runtime_busy_seconds_total`
 * (see attribution.ts for the split). The request path only adds to two numbers per version; the
 * split runs when the registry is read, so a scrape's totals cover the pod's cost up to that scrape.
 */
export function createCostMeter({ registry, usdPerHour, now }: CostMeterDeps): CostMeter {
  const attribution = new CostAttribution(usdPerHour, now());
  // The busy counter is registered after the cost counter, whose collect fills both: the registry
  // reads metrics in registration order, so one scrape sees both of the same settlement.
  const cost = defineCounter(registry, {
    ...METRICS.cost,
    help: "The pod's cost (POD_COST_PER_HOUR_USD) attributed to model versions: onnxruntime busy time by compute, idle time by requests answered.",
    collect: () => {
      for (const c of attribution.settle(now())) {
        const labels = { model: c.model, version: c.version };
        if (c.usd > 0) cost.inc(labels, c.usd);
        if (c.busySeconds > 0) busy.inc(labels, c.busySeconds);
      }
    },
  });
  const busy = defineCounter(registry, {
    ...METRICS.runtimeBusy,
    help: 'Seconds onnxruntime spent running batches of a model version, timed on the thread that runs them.',
  });
  return {
    addBusy: (model, version, seconds) => attribution.addBusy(model, version, seconds),
    observe: ({ result }) => {
      if (result) attribution.addRequests(result.modelName, result.modelVersion, 1);
    },
  };
}
