import type { FeatureRecord } from './records';
import type { FeatureSpec, Transform } from './spec';
import { applyTransform, isVector, widthOf, type Env } from './transforms';

/** Values at fractions 1/n .. (n-1)/n of the sorted column, deduplicated: equal-frequency buckets. */
export function quantileEdges(values: readonly number[], buckets: number): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let k = 1; k < buckets; k++) {
    const v = sorted[Math.min(sorted.length - 1, Math.floor((k * sorted.length) / buckets))];
    if (edges.length === 0 || v > edges[edges.length - 1]) edges.push(v);
  }
  return edges;
}

/** The `max` most frequent values, most frequent first (ties by value, so a refit is stable). */
export function topVocabulary(values: readonly string[], max: number): string[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts]
    .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, max)
    .map(([v]) => v);
}

function fitTransform(t: Transform, column: readonly (number | string | boolean | undefined)[]): Transform {
  const nums = () => column.map((v) => (typeof v === 'boolean' ? Number(v) : (v as number)));
  switch (t.type) {
    case 'standardize': {
      const xs = nums();
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
      return { ...t, mean, std: variance > 0 ? Math.sqrt(variance) : 1 };
    }
    case 'minmax': {
      const xs = nums();
      return { ...t, min: Math.min(...xs), max: Math.max(...xs) };
    }
    case 'bucketize':
      return t.buckets === undefined ? t : { ...t, edges: quantileEdges(nums(), t.buckets) };
    case 'onehot':
      return { ...t, vocabulary: topVocabulary(column.map(String), t.max_vocabulary) };
    default:
      return t;
  }
}

/**
 * Fits every fitted parameter (statistics, edges, vocabularies) on training rows, in feature
 * order, so a feature that reads an earlier one is fitted on that one's fitted output. `entities`
 * holds each record's point-in-time entity values (from `materialize`).
 */
export function fitSpec(
  spec: FeatureSpec,
  records: readonly FeatureRecord[],
  entities: readonly ReadonlyMap<string, number>[],
): FeatureSpec {
  const envs: Env[] = records.map((r, i) => {
    const env: Env = new Map(Object.entries(r));
    for (const [k, v] of entities[i]) env.set(k, v);
    return env;
  });
  const features = spec.features.map((f) => {
    const t = f.transform;
    const fitted =
      t.type === 'arithmetic'
        ? t
        : fitTransform(
            t,
            envs.map((env) => env.get(t.input)),
          );
    if (!isVector(fitted)) {
      for (const env of envs) env.set(f.name, applyTransform(fitted, env));
    }
    return { ...f, transform: fitted };
  });
  const widths = new Map(features.map((f) => [f.name, widthOf(f.transform)]));
  const inputs = spec.inputs.map((m) => ({
    ...m,
    shape: [-1, m.features.reduce((n, f) => n + widths.get(f)!, 0)] as [-1, number],
  }));
  return { ...spec, features, inputs };
}
