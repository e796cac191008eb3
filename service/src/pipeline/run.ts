import type { InferResult } from '../core/engine';
import type {
  AdmitHook,
  AroundHook,
  CallContext,
  Execution,
  Executor,
  Observation,
  ObserveHook,
} from './phases';

/** Runs the admit hooks in order, staying synchronous while they are (the common, cheap case). */
export function runAdmit(hooks: readonly AdmitHook[], call: CallContext): void | Promise<void> {
  for (let i = 0; i < hooks.length; i++) {
    const pending = hooks[i](call);
    if (pending) {
      return pending.then(async () => {
        for (const hook of hooks.slice(i + 1)) await hook(call);
      });
    }
  }
}

/**
 * Composes the around hooks over the executor once, the first hook outermost. A hook that throws
 * rejects the execution, as a throw in an async hook would.
 */
export function composeExecution(around: readonly AroundHook[], execute: Executor): Executor {
  let next = execute;
  for (let i = around.length - 1; i >= 0; i--) {
    const hook = around[i];
    const inner = next;
    next = (exec, settle) => {
      try {
        hook(exec, inner, settle);
      } catch (err) {
        settle.reject(err);
      }
    };
  }
  return next;
}

/** An execution's one promise: the only one an inference makes on its way to the batcher and back. */
export function executionResult(execute: Executor, exec: Execution): Promise<InferResult> {
  return new Promise((resolve, reject) => execute(exec, { resolve, reject }));
}

/**
 * Feeds observations to the observe hooks in the check phase after the responses were written, a
 * whole event-loop turn of them at once, so that observing never delays an answer. Undefined when
 * there is no hook: then the request path does not even build an observation.
 */
export function deferredObservers(
  hooks: readonly ObserveHook[],
  onError: (err: unknown) => void,
): ((observation: Observation) => void) | undefined {
  if (hooks.length === 0) return undefined;
  let pending: Observation[] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    for (const observation of batch) {
      for (const hook of hooks) {
        try {
          hook(observation);
        } catch (err) {
          onError(err);
        }
      }
    }
  };
  return (observation) => {
    if (pending.push(observation) === 1) setImmediate(flush);
  };
}
