import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InferenceEngine, ModelMetadata } from '../core/engine';
import { notFound } from '../core/errors';
import type { Tensor } from '../core/tensor';
import type { ServiceMetrics } from '../observability/metrics';
import type { OnlineStore } from './online-store';
import { resolveEntity, storeKey, type StoredValue } from './point-in-time';
import type { FeatureRecord } from './records';
import { FeatureSpecError, parseFeatureSpec } from './spec';
import { compileSpec, type CompiledSpec } from './transforms';

/** Reads and compiles `<repository>/<model>/features.json`; undefined when the model ships none. */
export function loadFeatureSpec(repositoryPath: string, model: string): CompiledSpec | undefined {
  const file = join(repositoryPath, model, 'features.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return compileSpec(parseFeatureSpec(JSON.parse(text), `${model}/features.json`));
}

/** The spec's tensors must be inputs of the model, with its datatype and a `[batch, width]` shape. */
export function checkSignature(compiled: CompiledSpec, metadata: ModelMetadata): void {
  for (const t of compiled.tensors) {
    const input = metadata.inputs.find((i) => i.name === t.name);
    const where = `${metadata.name}/features.json: input '${t.name}'`;
    if (!input) {
      throw new FeatureSpecError(
        `${where} is not an input of the model (it has ${metadata.inputs.map((i) => i.name).join(', ')})`,
      );
    }
    if (input.datatype !== t.datatype)
      throw new FeatureSpecError(`${where} is ${t.datatype}, the model wants ${input.datatype}`);
    const [batch, width, ...rest] = input.shape;
    if (batch !== -1 || rest.length > 0 || (width !== -1 && width !== t.columns.length)) {
      throw new FeatureSpecError(
        `${where} has ${t.columns.length} columns, the model wants shape [${input.shape.join(', ')}]`,
      );
    }
  }
  const missing = metadata.inputs.filter((i) => !compiled.tensors.some((t) => t.name === i.name));
  if (missing.length)
    throw new FeatureSpecError(
      `${metadata.name}/features.json: no mapping for input(s) ${missing.map((i) => i.name).join(', ')}`,
    );
}

/** Rows of records as tensors `[records, columns]`, one per mapped input. */
export function buildTensors(compiled: CompiledSpec, rows: readonly Float64Array[][]): Tensor[] {
  return compiled.tensors.map((layout, t) => {
    const width = layout.columns.length;
    const data =
      layout.datatype === 'FP32'
        ? new Float32Array(rows.length * width)
        : new Float64Array(rows.length * width);
    rows.forEach((r, i) => data.set(r[t], i * width));
    return { name: layout.name, datatype: layout.datatype, shape: [rows.length, width], data };
  });
}

export interface FeatureVectors {
  rows: Float64Array[][];
  /** True when the store could not answer and every entity feature took its default. */
  degraded: boolean;
}

export interface FeatureServingDeps {
  repositoryPath: string;
  engine: Pick<InferenceEngine, 'metadata'> & { modelConfig(model: string): { max_batch_size: number } };
  /** Undefined when no store is configured: entity features take their defaults (degraded). */
  store?: OnlineStore;
  metrics: ServiceMetrics;
  lookupTimeoutMs: number;
}

/** A spec as served: at most `maxRecords` records per request, one model batch. */
export type ServedSpec = CompiledSpec & { maxRecords: number };

/** The serving side of the features: specs per model, entity lookups, feature rows. */
export class FeatureServing {
  private readonly specs = new Map<string, ServedSpec | undefined>();

  constructor(private readonly deps: FeatureServingDeps) {}

  /** True once the model's spec has loaded. */
  known(model: string): boolean {
    return this.specs.get(model) !== undefined;
  }

  /**
   * The model's compiled spec, checked against the signature of the version it was fitted for,
   * on first use and then kept. 404 when the model ships no features.json.
   */
  spec(model: string): ServedSpec {
    let served = this.specs.get(model);
    if (!this.specs.has(model)) {
      const { engine } = this.deps;
      engine.metadata(model); // 404 for an unknown model
      const compiled = loadFeatureSpec(this.deps.repositoryPath, model);
      if (compiled) {
        checkSignature(compiled, engine.metadata(model, compiled.spec.model_version));
        // The records of one request are one batch, so never more than the model takes.
        const maxBatch = engine.modelConfig(model).max_batch_size;
        served = { ...compiled, maxRecords: Math.min(compiled.spec.limits.max_records, maxBatch || 1) };
      }
      this.specs.set(model, served);
    }
    if (!served) throw notFound(`model '${model}' has no features.json: send tensors to /infer instead`);
    return served;
  }

  /** Looks up every record's entity values in one round trip, then computes the rows. */
  async vectors(
    model: string,
    compiled: CompiledSpec,
    records: readonly FeatureRecord[],
  ): Promise<FeatureVectors> {
    const { spec } = compiled;
    const { metrics } = this.deps;
    const keys = records.flatMap((r) => spec.entities.map((e) => storeKey(model, e, r)));
    let stored: (StoredValue | undefined)[] | undefined;
    if (keys.length > 0 && this.deps.store) {
      try {
        stored = await this.deps.store.lookup(keys, this.deps.lookupTimeoutMs);
      } catch {
        stored = undefined;
      }
    }
    const degraded = keys.length > 0 && stored === undefined;
    if (degraded) metrics.featureLookups.inc({ model, result: 'error' }, keys.length);
    const counts = { hit: 0, miss: 0, stale: 0 };
    const rows = records.map((record, i) => {
      const time = record[spec.time_field] as number;
      const entities = new Map<string, number>();
      spec.entities.forEach((e, j) => {
        if (!stored) {
          entities.set(e.name, e.default);
          return;
        }
        const r = resolveEntity(e, stored[i * spec.entities.length + j], time);
        counts[r.result]++;
        if (r.ageSeconds !== undefined) metrics.featureAge.observe({ model }, r.ageSeconds);
        entities.set(e.name, r.value);
      });
      return compiled.rows(record, entities);
    });
    for (const [result, n] of Object.entries(counts))
      if (n > 0) metrics.featureLookups.inc({ model, result }, n);
    return { rows, degraded };
  }
}
