import type { FeatureRecord } from './records';
import { FeatureSpecError, type FeatureSpec, type Transform } from './spec';

/**
 * The pure feature computation shared by training and serving: a record plus its entity values in,
 * one row per model input tensor out. Nothing here does I/O, so `features:materialize` and
 * `/predict` cannot compute a feature differently.
 */

/** Names visible to a transform: raw fields, entity values, and earlier features' scalar values. */
export type Env = Map<string, number | string | boolean | undefined>;

/** Out-of-vocabulary values of a one-hot feature land in its last column. */
export const OOV = '__oov__';

/** FNV-1a over UTF-16 code units: stable across processes and platforms, unlike any runtime hash. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Index of the bucket `x` falls in: the number of edges at or below it (0..edges.length). */
export function bucketIndex(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function datePart(epochMs: number, part: 'hour' | 'day_of_week' | 'month'): number {
  const d = new Date(epochMs);
  if (part === 'hour') return d.getUTCHours();
  if (part === 'day_of_week') return d.getUTCDay();
  return d.getUTCMonth() + 1;
}

/** How many columns a transform writes: one, except one-hot (vocabulary + OOV) and hashing. */
export function widthOf(t: Transform): number {
  if (t.type === 'onehot') return (t.vocabulary?.length ?? 0) + 1;
  if (t.type === 'hash') return t.buckets;
  return 1;
}

/** One-hot and hashing write several columns and so cannot feed another transform. */
export const isVector = (t: Transform): boolean => t.type === 'onehot' || t.type === 'hash';

/** The transform's parameters a fit must supply before it can run, or undefined when complete. */
export function missingFit(t: Transform): string | undefined {
  switch (t.type) {
    case 'standardize':
      return t.mean === undefined || t.std === undefined ? 'mean and std' : undefined;
    case 'minmax':
      return t.min === undefined || t.max === undefined ? 'min and max' : undefined;
    case 'bucketize':
      return t.edges === undefined ? 'edges (or give them)' : undefined;
    case 'onehot':
      return t.vocabulary === undefined ? 'vocabulary' : undefined;
    default:
      return undefined;
  }
}

function num(env: Env, name: string): number {
  const v = env.get(name);
  return typeof v === 'boolean' ? (v ? 1 : 0) : (v as number);
}

/**
 * Applies one transform. Scalar transforms return a number; one-hot and hashing write their
 * columns into `out` at `offset` (zeroed by the caller) and return undefined.
 */
export function applyTransform(t: Transform, env: Env, out?: Float64Array, offset = 0): number | undefined {
  switch (t.type) {
    case 'identity':
      return num(env, t.input);
    case 'standardize':
      return (num(env, t.input) - t.mean!) / t.std!;
    case 'minmax': {
      const span = t.max! - t.min!;
      return span === 0 ? 0 : (num(env, t.input) - t.min!) / span;
    }
    case 'log1p':
      return Math.log1p(num(env, t.input));
    case 'clip':
      return Math.min(t.max, Math.max(t.min, num(env, t.input)));
    case 'bucketize':
      return bucketIndex(t.edges!, num(env, t.input));
    case 'datepart':
      return datePart(num(env, t.input), t.part);
    case 'arithmetic': {
      const a = num(env, t.left);
      const b = num(env, t.right);
      if (t.op === 'add') return a + b;
      if (t.op === 'sub') return a - b;
      if (t.op === 'mul') return a * b;
      return b === 0 ? 0 : a / b;
    }
    case 'onehot': {
      const vocab = t.vocabulary!;
      const i = vocab.indexOf(String(env.get(t.input)));
      out![offset + (i < 0 ? vocab.length : i)] = 1;
      return undefined;
    }
    case 'hash':
      out![offset + (fnv1a(String(env.get(t.input))) % t.buckets)] = 1;
      return undefined;
  }
}

export interface TensorLayout {
  name: string;
  datatype: 'FP32' | 'FP64';
  /** Column names, `feature` or `feature[i]` for multi-column features. */
  columns: string[];
}

export interface CompiledSpec {
  spec: FeatureSpec;
  tensors: TensorLayout[];
  /** Evaluates every feature for one record; the result's rows are rounded to each tensor's datatype. */
  rows(record: FeatureRecord, entities: ReadonlyMap<string, number>): Float64Array[];
}

/** Checks that every transform is fitted and usable, and precomputes the tensor layouts. */
export function compileSpec(spec: FeatureSpec): CompiledSpec {
  const vector = new Set<string>();
  const fieldTypes = new Map(spec.fields.map((f) => [f.name, f]));
  const widths = new Map<string, number>();
  for (const f of spec.features) {
    const t = f.transform;
    const missing = missingFit(t);
    if (missing)
      throw new FeatureSpecError(
        `feature '${f.name}': ${t.type} is not fitted (${missing}); run features:fit`,
      );
    const refs = t.type === 'arithmetic' ? [t.left, t.right] : [t.input];
    for (const r of refs) {
      if (vector.has(r))
        throw new FeatureSpecError(`feature '${f.name}': '${r}' has several columns and cannot be an input`);
      const field = fieldTypes.get(r);
      const categorical = t.type === 'onehot' || t.type === 'hash';
      if (field && !categorical && field.type === 'string') {
        throw new FeatureSpecError(`feature '${f.name}': ${t.type} needs a number, '${r}' is a string field`);
      }
      if (field && !field.required && field.default === undefined) {
        throw new FeatureSpecError(`feature '${f.name}': field '${r}' is optional without a default`);
      }
    }
    const w = widthOf(t);
    widths.set(f.name, w);
    if (isVector(t)) vector.add(f.name);
  }
  const tensors = spec.inputs.map((m) => {
    const columns = m.features.flatMap((f) => {
      const w = widths.get(f)!;
      return vector.has(f) ? Array.from({ length: w }, (_, i) => `${f}[${i}]`) : [f];
    });
    if (m.shape && m.shape[1] !== columns.length) {
      throw new FeatureSpecError(
        `input '${m.name}': shape says ${m.shape[1]} columns, its features have ${columns.length}; run features:fit`,
      );
    }
    return { name: m.name, datatype: m.datatype, columns };
  });
  return {
    spec,
    tensors,
    rows(record, entities) {
      const env: Env = new Map(Object.entries(record));
      for (const [k, v] of entities) env.set(k, v);
      const vectors = new Map<string, Float64Array>();
      for (const f of spec.features) {
        if (vector.has(f.name)) {
          const out = new Float64Array(widths.get(f.name)!);
          applyTransform(f.transform, env, out, 0);
          vectors.set(f.name, out);
        } else {
          env.set(f.name, applyTransform(f.transform, env));
        }
      }
      return spec.inputs.map((m, i) => {
        const row = new Float64Array(tensors[i].columns.length);
        let o = 0;
        for (const name of m.features) {
          const v = vectors.get(name);
          if (v) {
            row.set(v, o);
            o += v.length;
          } else {
            row[o++] = env.get(name) as number;
          }
        }
        if (m.datatype === 'FP32') for (let j = 0; j < row.length; j++) row[j] = Math.fround(row[j]);
        return row;
      });
    },
  };
}
