import type { CostMeter } from './cost/cost-meter';
import { createDriftObserver } from './drift/drift-observer';
import { createQualityObserver } from './quality/quality-observer';
import type { VersionScores } from './drift/version-scores';
import type { GuardContext, ProductionGuards } from './guards';
import type { ObserveHook, RequestPipeline } from './pipeline/phases';

export interface PipelineContext extends GuardContext {
  /** Undefined: no admission, no cache, breaker or fallback (the bench's bare service). */
  guards?: ProductionGuards;
  /** Undefined: no cost attribution. */
  cost?: CostMeter;
  /** The rollout controller's counting of canary and stable answers (rollout/rollout-service.ts). */
  rollouts?: { observe: ObserveHook };
  /** A/B outcomes: which variant served which request id (experiment/experiment-service.ts). */
  experiments?: { observe: ObserveHook };
  /** Per-version counts and durations for the ModelStatistics RPC (observability/model-statistics.ts). */
  statistics?: { observe: ObserveHook };
  /** Where the drift observer keeps each version's latest score for in-process readers. */
  driftScores: VersionScores;
  /** Where the quality observer keeps each version's latest confidence shift. */
  confidenceShifts: VersionScores;
}

/**
 * The one place the request phases are wired (see pipeline/phases.ts for what each phase may do).
 * Order within a phase is request order; a new observer is one more entry in `observe`.
 */
export function composePipeline({
  engine,
  metrics,
  logger,
  config,
  guards,
  cost,
  rollouts,
  experiments,
  statistics,
  driftScores,
  confidenceShifts,
}: PipelineContext): RequestPipeline {
  const modelConfig = (model: string) => engine.modelConfig(model);
  return {
    // Shedding first: an overloaded process refuses before spending anything on auth.
    admit: guards ? [guards.shedding, guards.admission] : [],
    // Fallback outermost, so it also answers for an open breaker; the cache inside it, so a hit
    // skips the breaker; the breaker innermost, counting only the engine's own failures.
    around: guards ? [guards.fallback, guards.cache, guards.breaker] : [],
    execute: (exec, settle) => engine.submit(exec.call.model, exec.call.version, exec.request, settle),
    observe: [
      // Every answered request, cached ones included.
      createDriftObserver({
        repositoryPath: config.MODEL_REPOSITORY,
        modelConfig,
        registry: metrics.registry,
        logger: logger.child({ component: 'drift' }),
        scores: driftScores,
      }),
      // Classifiers' outputs against their held-out profile; models without a scores output skip.
      createQualityObserver({
        repositoryPath: config.MODEL_REPOSITORY,
        modelConfig,
        registry: metrics.registry,
        logger: logger.child({ component: 'quality' }),
        scores: confidenceShifts,
      }),
      // Answered requests share the pod's idle time (cost/attribution.ts).
      ...(cost ? [cost.observe] : []),
      ...(rollouts ? [rollouts.observe] : []),
      ...(experiments ? [experiments.observe] : []),
      ...(statistics ? [statistics.observe] : []),
    ],
  };
}
