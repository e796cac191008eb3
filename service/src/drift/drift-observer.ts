import { METRICS } from '@ml-platform/contract/names';
import { defineGauge } from '../observability/metrics';
import type { ObserveHook } from '../pipeline/phases';
import { DriftMonitor, validateProfile, type ReferenceProfile } from './psi';
import { profileReader, VersionMonitors, type ProfileObserverDeps } from './version-monitors';

/**
 * Feeds the inputs of every answered inference into a PSI monitor per model version and exports
 * the score as `drift_score{model,version}` (the drift alert's series). It observes after the
 * answer is sent and never fails a request: a model without a usable profile is logged once per
 * load and skipped.
 */
export function createDriftObserver(deps: ProfileObserverDeps): ObserveHook {
  const gauge = defineGauge(deps.registry, {
    ...METRICS.driftScore,
    // Across WORKERS the score is the worst worker's window, not a sum of PSIs.
    aggregator: 'max',
    help: 'Largest per-feature PSI of the last complete window of inputs against the reference profile',
  });
  const monitors = new VersionMonitors<ReferenceProfile, DriftMonitor>(
    profileReader(deps, (config) => config.drift?.reference_profile, validateProfile),
    (profile, _model, _version, config) => new DriftMonitor(profile, config.drift!.window_rows),
  );

  return ({ model, request, result }) => {
    // Drift is about the traffic, so cached answers count too; a fallback's answer names another
    // model, whose version label would mislead.
    if (!result || !request || result.modelName !== model) return;
    const version = result.modelVersion;
    const monitor = monitors.get(model, deps.modelConfig(model), version);
    if (!monitor) return;
    const input = request.inputs.find((t) => t.name === monitor.profile.input);
    if (!input || Array.isArray(input.data)) return;
    // The score only moves when a window closes; setting the gauge on every request would be waste.
    if (monitor.observe(input.data as ArrayLike<number>, input.shape[input.shape.length - 1])) {
      const score = monitor.score()!;
      gauge.set({ model, version }, score);
      deps.scores.set(model, version, score);
    }
  };
}
