import type { Engine } from './engine';
import type { ProductionGuards } from './guards';
import type { ObserveHook, RequestPipeline } from './pipeline/phases';

export interface PipelineParts {
  engine: Engine;
  /** Undefined: no admission, no cache, breaker or fallback (the bench's bare service). */
  guards?: ProductionGuards;
  drift: ObserveHook;
}

/**
 * The one place the request phases are wired (see pipeline/phases.ts for what each phase may do).
 * Order within a phase is request order; an observer is one more entry in `observe`.
 */
export function composePipeline({ engine, guards, drift }: PipelineParts): RequestPipeline {
  return {
    // Shedding first: an overloaded process refuses before spending anything on auth.
    admit: guards ? [guards.shedding, guards.admission] : [],
    // Fallback outermost, so it also answers for an open breaker; the cache inside it, so a hit
    // skips the breaker; the breaker innermost, counting only the engine's own failures.
    around: guards ? [guards.fallback, guards.cache, guards.breaker] : [],
    execute: (exec) => engine.infer(exec.call.model, exec.call.version, exec.request),
    // Drift watches every answered request, cached ones included.
    observe: [drift],
  };
}
