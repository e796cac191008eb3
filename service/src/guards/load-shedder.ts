import type { Counter, Gauge, Registry } from 'prom-client';
import { unavailable } from '../core/errors';
import { METRICS } from '@ml-platform/contract/names';
import type { AdmitHook } from '../pipeline/phases';
import { defineCounter, defineGauge } from '../observability/metrics';

/**
 * Bounds the requests the process works on at once. Past the bound a request is refused at the
 * door — before its body is read — with 503 and Retry-After, so overload costs the client one
 * round trip and costs us nothing, instead of growing queues until every request misses its deadline.
 */
export class LoadShedder {
  private active = 0;
  private readonly shed?: Counter;

  constructor(
    private readonly maxInFlight: number,
    private readonly options: { retryAfterSeconds?: number; registry?: Registry } = {},
  ) {
    if (!(maxInFlight >= 1)) throw new Error(`maxInFlight must be >= 1, got ${maxInFlight}`);
    const registry = options.registry;
    if (registry) {
      // Read at a scrape: setting it twice per request cost a label hash each time (observability/tallies.ts).
      const inFlight: Gauge = defineGauge(registry, {
        ...METRICS.inFlight,
        help: 'Guarded requests being worked on by this process.',
        collect: () => inFlight.set(this.active),
      });
      this.shed = defineCounter(registry, {
        ...METRICS.loadShed,
        help: 'Requests refused with 503 because the process was at its in-flight bound.',
      });
    }
  }

  get inFlight(): number {
    return this.active;
  }

  /** A release function (call it exactly once), or a 503 ServiceError to throw. */
  acquire(): () => void {
    if (this.active >= this.maxInFlight) {
      this.shed?.inc();
      throw unavailable(
        `server overloaded: ${this.active} requests in flight (limit ${this.maxInFlight}); retry shortly`,
        this.options.retryAfterSeconds ?? 1,
      );
    }
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
    };
  }
}

/** Sheds inference requests at the door; metadata and repository calls are cheap and never shed. */
export function loadSheddingHook(shedder: LoadShedder): AdmitHook {
  return (call) => {
    if (call.scope !== 'infer' || !call.onFinish) return;
    call.onFinish(shedder.acquire());
  };
}
