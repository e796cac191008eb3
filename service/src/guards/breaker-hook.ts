import { ServiceError } from '../core/errors';
import type { AroundHook } from '../pipeline/phases';
import { ClientDeadlineError, type ModelBreakers } from './model-breakers';
import { servingOf, type ServingEngine } from './serving';

export interface BreakerHookDeps {
  engine: ServingEngine;
  breakers: ModelBreakers;
  /** REQUEST_TIMEOUT_MS: a client `timeout` below it makes a missed deadline the client's choice. */
  requestTimeoutMs?: number;
}

function blameClientDeadline(err: unknown): never {
  throw err instanceof ServiceError && err.status === 504 ? new ClientDeadlineError(err) : err;
}

/**
 * The serving version's circuit breaker around the executor: while it is open the executor is not
 * called (503 BreakerOpenError, which the fallback chain answers). A deadline the client shortened
 * below the server's does not count against the model.
 */
export function circuitBreakerHook(deps: BreakerHookDeps): AroundHook {
  const limit = deps.requestTimeoutMs ?? Infinity;
  return (exec, next) => {
    const { config, version } = servingOf(exec, deps.engine);
    const asked = exec.request.timeoutMs;
    const clientDeadline = asked !== undefined && asked < limit;
    return deps.breakers.fire(exec.call.model, version, config.circuit_breaker, () =>
      clientDeadline ? next(exec).catch(blameClientDeadline) : next(exec),
    );
  };
}
