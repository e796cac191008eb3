import CircuitBreaker from 'opossum';
import type { Logger } from 'pino';
import type { Gauge, Registry } from 'prom-client';
import { ServiceError } from '../core/errors';
import type { ModelConfig } from '../repository/model-config';
import { METRICS } from '@ml-platform/contract/names';
import { defineGauge } from '../observability/metrics';

export type BreakerSettings = NonNullable<ModelConfig['circuit_breaker']>;
export type BreakerState = 'closed' | 'half-open' | 'open';

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export const DEFAULT_BREAKER: BreakerSettings = {
  error_threshold_percentage: 50,
  volume_threshold: 10,
  reset_timeout_ms: 5000,
  rolling_count_timeout_ms: 10_000,
};

/** The breaker refused the call without running it; `retryAfterSeconds` is when it will probe again. */
export class BreakerOpenError extends ServiceError {
  constructor(model: string, version: string, retryAfterSeconds: number) {
    super(503, `model '${model}' version ${version} is failing and its circuit is open`, retryAfterSeconds);
    this.name = 'BreakerOpenError';
  }
}

/**
 * A deadline missed under a `timeout` the client shortened below the server's own. It is answered
 * 504 like any missed deadline but says nothing about the model's health.
 */
export class ClientDeadlineError extends ServiceError {
  constructor(cause: ServiceError) {
    super(504, cause.message);
    this.name = 'ClientDeadlineError';
  }
}

/**
 * What counts against a model's health: its own failures (500) and deadlines it missed (504)
 * under the server's deadline. Bad requests (4xx), deadlines a client chose shorter, and a full
 * queue (503, which load shedding answers) do not: any of them would let one client's mistake or
 * a traffic spike open the breaker, an outage of the model for everyone.
 */
export function countsAsModelFailure(err: unknown): boolean {
  if (!(err instanceof ServiceError)) return true;
  if (err instanceof ClientDeadlineError) return false;
  return err.status === 500 || err.status === 504;
}

type Call = () => Promise<unknown>;

interface Entry {
  breaker: CircuitBreaker<[Call], unknown>;
  openedAt: number;
  resetMs: number;
}

/**
 * One opossum breaker per model version: opens on the error rate over a rolling window (missed
 * deadlines included), lets one probe through after `reset_timeout_ms` (half-open) and closes on
 * its success. State is exported as `model_circuit_breaker_state` (0 closed, 1 half-open, 2 open).
 */
export class ModelBreakers {
  private readonly entries = new Map<string, Entry>();
  private readonly stateGauge?: Gauge<'model' | 'version'>;

  constructor(private readonly options: { registry?: Registry; logger?: Logger } = {}) {
    if (options.registry)
      this.stateGauge = defineGauge(options.registry, {
        ...METRICS.breakerState,
        help: 'Circuit breaker state per model version: 0 closed, 1 half-open (probing), 2 open.',
        // Across cluster workers (each has its own breaker): the worst state.
        aggregator: 'max',
      });
  }

  state(model: string, version: string): BreakerState {
    const b = this.entries.get(`${model}\u0000${version}`)?.breaker;
    if (!b) return 'closed';
    return b.opened ? 'open' : b.halfOpen ? 'half-open' : 'closed';
  }

  /** Runs `call` through the version's breaker; BreakerOpenError without running it while open. */
  fire<T>(
    model: string,
    version: string,
    settings: BreakerSettings | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    let entry: Entry;
    try {
      entry = this.entry(model, version, settings ?? DEFAULT_BREAKER);
    } catch (err) {
      return Promise.reject(err);
    }
    // A rejection handler only, not an async function's await: every request passes here.
    return (entry.breaker.fire(call) as Promise<T>).catch((err: unknown) => {
      if ((err as { code?: string }).code === 'EOPENBREAKER') {
        const remainingMs = Math.max(0, entry.openedAt + entry.resetMs - Date.now());
        throw new BreakerOpenError(model, version, Math.max(1, Math.ceil(remainingMs / 1000)));
      }
      throw err;
    });
  }

  shutdown(): void {
    for (const e of this.entries.values()) e.breaker.shutdown();
    this.entries.clear();
  }

  private entry(model: string, version: string, s: BreakerSettings): Entry {
    const id = `${model}\u0000${version}`;
    const entry = this.entries.get(id);
    if (entry) return entry;
    const breaker = new CircuitBreaker((call: Call) => call(), {
      timeout: false, // deadlines are the engine's (504), and count as failures below
      errorThresholdPercentage: s.error_threshold_percentage,
      volumeThreshold: s.volume_threshold,
      resetTimeout: s.reset_timeout_ms,
      rollingCountTimeout: s.rolling_count_timeout_ms,
      errorFilter: (err: unknown) => !countsAsModelFailure(err),
      name: `${model}:${version}`,
      // Only the error rate decides; opossum would otherwise keep every call's latency in its
      // window and concatenate and sort them all each second for snapshots nothing here reads.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    const created: Entry = { breaker, openedAt: 0, resetMs: s.reset_timeout_ms };
    const labels = { model, version };
    const report = (state: BreakerState) => {
      this.stateGauge?.set(labels, STATE_VALUE[state]);
      const log = { model, version, breaker: state };
      if (state === 'open') this.options.logger?.warn(log, 'circuit opened: the fallback chain answers');
      else this.options.logger?.info(log, `circuit ${state}`);
    };
    breaker.on('open', () => {
      created.openedAt = Date.now();
      report('open');
    });
    breaker.on('halfOpen', () => report('half-open'));
    breaker.on('close', () => report('closed'));
    this.stateGauge?.set(labels, 0);
    this.entries.set(id, created);
    return created;
  }
}
