import type { Logger } from 'pino';
import type { Gauge, Registry } from 'prom-client';
import { ServiceError } from '../core/errors';
import type { ModelConfig } from '../repository/model-config';
import { METRICS } from '@ml-platform/contract/names';
import { defineGauge } from '../observability/metrics';
import { PerVersion } from '../observability/tallies';
import { CircuitBreaker, type BreakerState } from './circuit-breaker';

export type { BreakerState } from './circuit-breaker';
export type BreakerSettings = NonNullable<ModelConfig['circuit_breaker']>;

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

/** Tells a breaker that an admitted call failed: only the model's own failures count against it. */
export function reportFailure(breaker: CircuitBreaker, failure: unknown): void {
  if (countsAsModelFailure(failure)) breaker.failed();
  else breaker.succeeded();
}

/**
 * One breaker per model version (circuit-breaker.ts): opens on the error rate over a rolling window (missed
 * deadlines included), lets one probe through after `reset_timeout_ms` (half-open) and closes on
 * its success. State is exported as `model_circuit_breaker_state` (0 closed, 1 half-open, 2 open).
 */
export class ModelBreakers {
  /** Each is made by make(), with its version's settings. */
  private readonly entries = new PerVersion<CircuitBreaker>(() => {
    throw new Error('a breaker is made with its settings');
  });
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
    return this.entries.find(model, version)?.state ?? 'closed';
  }

  /**
   * Counts a call through the version's breaker and returns the breaker, to be told the call's
   * outcome (`succeeded`, or `reportFailure`); throws BreakerOpenError while it refuses calls.
   */
  pass(model: string, version: string, settings: BreakerSettings | undefined): CircuitBreaker {
    const breaker = this.breaker(model, version, settings ?? DEFAULT_BREAKER);
    if (!breaker.tryPass()) {
      const retryAfterSeconds = Math.max(1, Math.ceil(breaker.msUntilProbe() / 1000));
      throw new BreakerOpenError(model, version, retryAfterSeconds);
    }
    return breaker;
  }

  /** Runs `call` through the version's breaker; BreakerOpenError without running it while open. */
  fire<T>(
    model: string,
    version: string,
    settings: BreakerSettings | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    let breaker: CircuitBreaker;
    let pending: Promise<T>;
    try {
      breaker = this.pass(model, version, settings);
    } catch (err) {
      return Promise.reject(err);
    }
    try {
      pending = call();
    } catch (err) {
      pending = Promise.reject(err);
    }
    return pending.then(
      (result) => {
        breaker.succeeded();
        return result;
      },
      (err: unknown) => {
        reportFailure(breaker, err);
        throw err;
      },
    );
  }

  shutdown(): void {
    for (const breaker of this.entries.values()) breaker.shutdown();
    this.entries.clear();
  }

  private breaker(model: string, version: string, s: BreakerSettings): CircuitBreaker {
    return (
      this.entries.find(model, version) ??
      this.entries.get(model, version, () => this.make(model, version, s))
    );
  }

  private make(model: string, version: string, s: BreakerSettings): CircuitBreaker {
    const labels = { model, version };
    const breaker = new CircuitBreaker(
      {
        errorThresholdPercentage: s.error_threshold_percentage,
        volumeThreshold: s.volume_threshold,
        resetTimeoutMs: s.reset_timeout_ms,
        rollingCountTimeoutMs: s.rolling_count_timeout_ms,
      },
      (state) => {
        this.stateGauge?.set(labels, STATE_VALUE[state]);
        const log = { model, version, breaker: state };
        if (state === 'open') this.options.logger?.warn(log, 'circuit opened: the fallback chain answers');
        else this.options.logger?.info(log, `circuit ${state}`);
      },
    );
    this.stateGauge?.set(labels, 0);
    return breaker;
  }
}
