import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Tensor } from '../core/tensor';
import type { Guard } from '../http/guard';
import { METRICS } from '@ml-platform/contract/names';
import { defineGauge } from '../observability/metrics';
import type { ModelConfig } from '../repository/model-config';
import { DriftMonitor, validateProfile, type ReferenceProfile } from './psi';

export interface DriftGuardDeps {
  repositoryPath: string;
  modelConfig(model: string): ModelConfig;
  registry: Registry;
  logger: Logger;
}

/**
 * Feeds the inputs of every answered inference into a PSI monitor per model version and exports
 * the score as `drift_score{model,version}` (the drift alert's series). It looks only at answers,
 * so it adds nothing on the way in and never fails a request: a model without a usable profile is
 * logged once and skipped.
 */
export function createDriftGuard(deps: DriftGuardDeps): Guard {
  const gauge = defineGauge(deps.registry, {
    ...METRICS.driftScore,
    help: 'Largest per-feature PSI of the last complete window of inputs against the reference profile',
  });
  const profiles = new Map<string, ReferenceProfile | null>();
  const monitors = new Map<string, DriftMonitor>();

  function profileOf(model: string): ReferenceProfile | null {
    let profile = profiles.get(model);
    if (profile !== undefined) return profile;
    profile = null;
    const drift = deps.modelConfig(model).drift;
    if (drift) {
      const file = path.join(deps.repositoryPath, model, drift.reference_profile);
      try {
        const loaded = JSON.parse(readFileSync(file, 'utf8')) as ReferenceProfile;
        const problem = validateProfile(loaded);
        if (problem) deps.logger.warn({ model, file, problem }, 'drift reference profile rejected');
        else profile = loaded;
      } catch (err) {
        deps.logger.warn({ model, file, err: (err as Error).message }, 'drift reference profile unreadable');
      }
    }
    profiles.set(model, profile);
    return profile;
  }

  function observe(model: string, version: string, inputs: readonly Tensor[]): void {
    const profile = profileOf(model);
    if (!profile) return;
    const input = inputs.find((t) => t.name === profile.input);
    if (!input || Array.isArray(input.data)) return;
    const key = `${model}\u0000${version}`;
    let monitor = monitors.get(key);
    if (!monitor) {
      monitor = new DriftMonitor(profile, deps.modelConfig(model).drift!.window_rows);
      monitors.set(key, monitor);
    }
    // The score only moves when a window closes; setting the gauge on every request would be hot-path waste.
    if (monitor.observe(input.data as ArrayLike<number>, input.shape[input.shape.length - 1]))
      gauge.set({ model, version }, monitor.score()!);
  }

  return {
    async execute(call, request, next) {
      const result = await next();
      // Drift is about the traffic, so cached answers count too; a fallback's answer names another
      // model, whose version label would mislead.
      if (result.modelName === call.model) observe(call.model, result.modelVersion, request.inputs);
      return result;
    },
  };
}
