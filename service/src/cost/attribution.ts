/**
 * Splits the pod's cost between model versions (pure; see cost-observer.ts for the metrics). Over
 * each interval between two settlements:
 *
 *   busy share   min(1, B / T) of the interval's cost, B being the onnxruntime busy seconds of all
 *                versions and T the interval's seconds, goes to each version in proportion to its
 *                own busy seconds: compute is charged to whoever computed;
 *   idle share   the rest goes to each version in proportion to the requests it answered, cached
 *                ones included: a pod kept up for the traffic is charged to that traffic.
 *
 * An interval without traffic carries its idle cost to the next interval that has some, so the
 * versions' totals add up to the pod's cost over its life.
 */
import { PerVersion } from '../observability/tallies';

export interface VersionCost {
  model: string;
  version: string;
  usd: number;
  /** The version's onnxruntime busy seconds over the interval. */
  busySeconds: number;
}

interface Usage {
  model: string;
  version: string;
  busySeconds: number;
  requests: number;
}

export class CostAttribution {
  // Two map lookups per request, no `model + NUL + version` key string to build and hash.
  private readonly usage = new PerVersion<Usage>((model, version) => ({
    model,
    version,
    busySeconds: 0,
    requests: 0,
  }));
  private carriedUsd = 0;
  private lastMs: number;

  /** `usdPerHour`: what this process costs (the pod's cost divided among its worker processes). */
  constructor(
    private readonly usdPerHour: number,
    nowMs: number,
  ) {
    this.lastMs = nowMs;
  }

  addBusy(model: string, version: string, seconds: number): void {
    this.usage.get(model, version).busySeconds += seconds;
  }

  addRequests(model: string, version: string, count: number): void {
    this.usage.get(model, version).requests += count;
  }

  /** The cost of the time since the last settlement, by version; the usage counts start over. */
  settle(nowMs: number): VersionCost[] {
    const seconds = Math.max(0, (nowMs - this.lastMs) / 1000);
    this.lastMs = nowMs;
    const usd = (this.usdPerHour * seconds) / 3600;
    let busy = 0;
    let requests = 0;
    for (const u of this.usage.values()) {
      busy += u.busySeconds;
      requests += u.requests;
    }
    const busyShare = seconds > 0 ? Math.min(1, busy / seconds) : busy > 0 ? 1 : 0;
    const computeUsd = busy > 0 ? usd * busyShare : 0;
    let idleUsd = usd - computeUsd + this.carriedUsd;
    this.carriedUsd = requests > 0 ? 0 : idleUsd;
    if (requests === 0) idleUsd = 0;
    const costs: VersionCost[] = [];
    for (const u of this.usage.values()) {
      const share =
        (busy > 0 ? (computeUsd * u.busySeconds) / busy : 0) +
        (requests > 0 ? (idleUsd * u.requests) / requests : 0);
      costs.push({ model: u.model, version: u.version, usd: share, busySeconds: u.busySeconds });
    }
    this.usage.clear();
    return costs;
  }
}
