import { DriftMonitor, validateProfile, type ReferenceProfile } from '../drift/psi';
import { profileReader, VersionMonitors, type ProfileObserverDeps } from '../drift/version-monitors';
import { METRICS } from '@ml-platform/contract/names';
import { defineCounterTally, defineGauge, defineHistogramTally } from '../observability/metrics';
import type { ObserveHook } from '../pipeline/phases';
import { CONFIDENCE_BUCKETS, MAX_CLASSES, qualityRows } from './quality-profile';

/** quality-profile.json: one reference profile per version (cli/profile.ts writes it). */
export interface QualityProfileFile {
  versions: Record<string, ReferenceProfile>;
}

function validateFile(file: QualityProfileFile): string | undefined {
  if (typeof file?.versions !== 'object' || file.versions === null) return "needs a 'versions' object";
  for (const [version, profile] of Object.entries(file.versions)) {
    if (profile.features?.length !== 2) return `version ${version}: needs the confidence and class features`;
    const problem = validateProfile(profile);
    if (problem) return `version ${version}: ${problem}`;
  }
  return undefined;
}

/** Answers up to this many rows reuse a scratch pairs array. */
const SCRATCH_ROWS = 64;

interface VersionQuality {
  monitor: DriftMonitor;
  classes: number;
  // The version's series, resolved once (observability/tallies.ts).
  confidence: { observe(value: number): void };
  predicted: { inc(value: number): void }[];
}

/**
 * For classifiers whose config names a scores output: the top-1 score of every answered row goes
 * into `model_confidence{model,version}` (a histogram with fixed buckets), the predicted class into
 * `model_predicted_class_total{model,version,class}`, and both into a PSI monitor against the
 * version's held-out profile, exported as `model_confidence_shift` and `model_prediction_drift`;
 * the confidence shift also goes to `deps.scores`, where the rollout controller reads it.
 * Models without a scores output, a profile, or a profile for the version are skipped.
 */
export function createQualityObserver(deps: ProfileObserverDeps): ObserveHook {
  const confidence = defineHistogramTally(deps.registry, {
    ...METRICS.confidence,
    help: 'Top-1 class score of each answered row of a classifier.',
    buckets: CONFIDENCE_BUCKETS,
  });
  const predicted = defineCounterTally(deps.registry, {
    ...METRICS.predictedClass,
    help: 'Answered rows of a classifier by predicted class (class index).',
  });
  const shift = defineGauge(deps.registry, {
    ...METRICS.confidenceShift,
    // Across WORKERS a score is the worst worker's window, not a sum of PSIs (as drift_score).
    aggregator: 'max',
    help: 'PSI of the top-1 score distribution of the last complete window against the held-out reference.',
  });
  const drift = defineGauge(deps.registry, {
    ...METRICS.predictionDrift,
    aggregator: 'max',
    help: 'PSI of the predicted-class shares of the last complete window against the held-out reference.',
  });
  const monitors = new VersionMonitors<QualityProfileFile, VersionQuality>(
    profileReader(deps, (config) => config.quality?.reference_profile, validateFile),
    (file, model, version, config) => {
      const profile = file.versions[version];
      if (!profile) {
        deps.logger.warn({ model, version }, 'no quality reference profile for this version; not monitored');
        return null;
      }
      const classes = profile.features[1].edges.length + 1;
      return {
        monitor: new DriftMonitor(profile, config.quality!.window_rows),
        classes,
        confidence: confidence.series({ model, version }),
        predicted: Array.from({ length: classes }, (_, c) =>
          predicted.series({ model, version, class: String(c) }),
        ),
      };
    },
  );

  // Per row count, the pairs array of the last answer with that many rows: the monitor reads it
  // before the call returns, and most answers have one row (a Float64Array apiece was a
  // per-request allocation, docs/benchmarks.md).
  const scratch: Float64Array[] = [];
  const pairsFor = (rows: number) =>
    rows > SCRATCH_ROWS ? undefined : (scratch[rows] ??= new Float64Array(rows * 2));

  return ({ model, result }) => {
    // A fallback's answer names another model, whose version label would mislead.
    if (!result || result.modelName !== model) return;
    const config = deps.modelConfig(model);
    if (!config.quality) return;
    const version = result.modelVersion;
    const quality = monitors.get(model, config, version);
    if (!quality) return;
    const scores = result.outputs.find((t) => t.name === config.quality!.scores_output);
    // Absent when the request asked for other outputs only.
    if (!scores || Array.isArray(scores.data)) return;
    const classes = scores.shape[scores.shape.length - 1];
    if (classes !== quality.classes || classes > MAX_CLASSES) return;
    const data = scores.data as ArrayLike<number>;
    const rows = qualityRows(data, classes, pairsFor(Math.floor(data.length / classes)));
    for (let i = 0; i < rows.length; i += 2) {
      quality.confidence.observe(rows[i]);
      quality.predicted[rows[i + 1]].inc(1);
    }
    if (quality.monitor.observe(rows, 2)) {
      const [confidenceShift, classDrift] = quality.monitor.scores()!;
      shift.set({ model, version }, confidenceShift);
      deps.scores.set(model, version, confidenceShift);
      drift.set({ model, version }, classDrift);
    }
  };
}
