import type { InferResult } from '../core/engine';
import { ServiceError } from '../core/errors';
import type { Settle } from '../core/settle';
import type { AroundHook } from '../pipeline/phases';
import type { CircuitBreaker } from './circuit-breaker';
import { ClientDeadlineError, reportFailure, type ModelBreakers } from './model-breakers';
import { servingOf, type ServingEngine } from './serving';

export interface BreakerHookDeps {
  engine: ServingEngine;
  breakers: ModelBreakers;
  /** REQUEST_TIMEOUT_MS: a client `timeout` below it makes a missed deadline the client's choice. */
  requestTimeoutMs?: number;
}

/**
 * The serving version's circuit breaker around the executor: while it is open the executor is not
 * called (503 BreakerOpenError, which the fallback chain answers). A deadline the client shortened
 * below the server's does not count against the model.
 */
export function circuitBreakerHook(deps: BreakerHookDeps): AroundHook {
  const limit = deps.requestTimeoutMs ?? Infinity;
  return (exec, next, settle) => {
    const { config, version } = servingOf(exec, deps.engine);
    const asked = exec.request.timeoutMs;
    const clientDeadline = asked !== undefined && asked < limit;
    const breaker = deps.breakers.pass(exec.call.model, version, config.circuit_breaker);
    next(exec, new BreakerOutcome(breaker, clientDeadline, settle));
  };
}

/** Tells the breaker how the call it let through ended, then passes the outcome on. */
class BreakerOutcome implements Settle<InferResult> {
  constructor(
    private readonly breaker: CircuitBreaker,
    private readonly clientDeadline: boolean,
    private readonly settle: Settle<InferResult>,
  ) {}

  resolve(result: InferResult): void {
    this.breaker.succeeded();
    this.settle.resolve(result);
  }

  reject(error: unknown): void {
    const failure =
      this.clientDeadline && error instanceof ServiceError && error.status === 504
        ? new ClientDeadlineError(error)
        : error;
    reportFailure(this.breaker, failure);
    this.settle.reject(failure);
  }
}
