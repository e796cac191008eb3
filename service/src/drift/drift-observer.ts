import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { METRICS } from '@ml-platform/contract/names';
import { defineGauge } from '../observability/metrics';
import type { ObserveHook } from '../pipeline/phases';
import type { ModelConfig } from '../repository/model-config';
import type { DriftScores } from './drift-scores';
import { DriftMonitor, validateProfile, type ReferenceProfile } from './psi';

export interface DriftObserverDeps {
  repositoryPath: string;
  modelConfig(model: string): ModelConfig;
  registry: Registry;
  logger: Logger;
  /** Receives every closed window's score, for readers in this process (the rollout controller). */
  scores: DriftScores;
}

/** One model config's reference profile (null: none usable) and its monitors by version. */
interface ModelDrift {
  profile: ReferenceProfile | null;
  monitors: Map<string, DriftMonitor>;
}

/**
 * Feeds the inputs of every answered inference into a PSI monitor per model version and exports
 * the score as `drift_score{model,version}` (the drift alert's series). It observes after the
 * answer is sent and never fails a request: a model without a usable profile is logged once per
 * load and skipped.
 */
export function createDriftObserver(deps: DriftObserverDeps): ObserveHook {
  const gauge = defineGauge(deps.registry, {
    ...METRICS.driftScore,
    // Across WORKERS the score is the worst worker's window, not a sum of PSIs.
    aggregator: 'max',
    help: 'Largest per-feature PSI of the last complete window of inputs against the reference profile',
  });
  // Keyed by the config object: a (re)load reads a new config, so it also reads the profile again
  // and starts new windows against it.
  const byConfig = new WeakMap<ModelConfig, ModelDrift>();

  function readProfile(model: string, drift: ModelConfig['drift']): ReferenceProfile | null {
    if (!drift) return null;
    const file = path.join(deps.repositoryPath, model, drift.reference_profile);
    try {
      const loaded = JSON.parse(readFileSync(file, 'utf8')) as ReferenceProfile;
      const problem = validateProfile(loaded);
      if (!problem) return loaded;
      deps.logger.warn({ model, file, problem }, 'drift reference profile rejected');
    } catch (err) {
      deps.logger.warn({ model, file, err: (err as Error).message }, 'drift reference profile unreadable');
    }
    return null;
  }

  return ({ model, request, result }) => {
    // Drift is about the traffic, so cached answers count too; a fallback's answer names another
    // model, whose version label would mislead.
    if (!result || !request || result.modelName !== model) return;
    const config = deps.modelConfig(model);
    let drift = byConfig.get(config);
    if (!drift) {
      drift = { profile: readProfile(model, config.drift), monitors: new Map() };
      byConfig.set(config, drift);
    }
    const profile = drift.profile;
    if (!profile) return;
    const input = request.inputs.find((t) => t.name === profile.input);
    if (!input || Array.isArray(input.data)) return;
    const version = result.modelVersion;
    let monitor = drift.monitors.get(version);
    if (!monitor) {
      monitor = new DriftMonitor(profile, config.drift!.window_rows);
      drift.monitors.set(version, monitor);
    }
    // The score only moves when a window closes; setting the gauge on every request would be waste.
    if (monitor.observe(input.data as ArrayLike<number>, input.shape[input.shape.length - 1])) {
      const score = monitor.score()!;
      gauge.set({ model, version }, score);
      deps.scores.set(model, version, score);
    }
  };
}
