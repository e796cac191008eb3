import type { FeatureRecord } from './records';
import { entityKey, type EntitySpec, type FeatureSpec } from './spec';

/**
 * Point-in-time entity features. Offline, a record at time t sees only events strictly before t;
 * online, it sees the latest value the store holds. Both go through `resolveEntity`, so a value
 * is called stale (and replaced by the default) by the same rule in training and serving.
 */

/** An entity value as the online store holds it: the aggregate and the time of its newest event. */
export interface StoredValue {
  value: number;
  /** Epoch ms of the newest event the value includes. */
  eventTime: number;
}

export type LookupResult = 'hit' | 'miss' | 'stale';

export interface Resolved {
  value: number;
  result: LookupResult;
  /** Record time minus the value's event time, when there was a value. */
  ageSeconds?: number;
}

export function resolveEntity(
  entity: EntitySpec,
  stored: StoredValue | undefined,
  recordTime: number,
): Resolved {
  if (!stored) return { value: entity.default, result: 'miss' };
  const ageSeconds = (recordTime - stored.eventTime) / 1000;
  if (ageSeconds > entity.max_age_seconds) return { value: entity.default, result: 'stale', ageSeconds };
  return { value: stored.value, result: 'hit', ageSeconds };
}

/** The newest `window` values of one entity, aggregated the same way every time. */
class EntityState {
  private values: number[] = [];
  private runningSum = 0;
  private runningMax = -Infinity;
  private n = 0;
  eventTime = -Infinity;

  constructor(private readonly agg: EntitySpec['aggregate']) {}

  add(x: number, time: number): void {
    this.eventTime = time;
    this.n++;
    if (this.agg.window === undefined) {
      this.runningSum += x;
      this.runningMax = Math.max(this.runningMax, x);
      return;
    }
    this.values.push(x);
    if (this.values.length > this.agg.window) this.values.shift();
  }

  value(): number {
    const { op, window } = this.agg;
    if (window === undefined) {
      if (op === 'count') return this.n;
      if (op === 'max') return this.runningMax;
      return op === 'sum' ? this.runningSum : this.runningSum / this.n;
    }
    if (op === 'count') return this.values.length;
    if (op === 'max') return Math.max(...this.values);
    let sum = 0;
    for (const v of this.values) sum += v;
    return op === 'sum' ? sum : sum / this.values.length;
  }
}

/** The store key of an entity value: `<model>:<entity feature>:<entity key>`. */
export function storeKey(model: string, entity: EntitySpec, record: FeatureRecord): string {
  return `${model}:${entity.name}:${entityKey(entity.key, record)}`;
}

export interface Materialized {
  /** Per record, in input order: each entity feature's value as of the record's time. */
  entities: Map<string, number>[];
  /** The latest value of every entity key after all events: what the online store gets. */
  latest: Map<string, StoredValue>;
}

/**
 * Walks the records in time order. Every record is a row; a record that carries an entity's
 * `aggregate.of` field is also an event of that entity. Rows with the same time are resolved
 * before any of their events is added, so nothing at or after a row's time reaches it.
 */
export function materialize(
  spec: FeatureSpec,
  model: string,
  records: readonly FeatureRecord[],
): Materialized {
  const timeField = spec.time_field;
  const order = records
    .map((_, i) => i)
    .sort((a, b) => (records[a][timeField] as number) - (records[b][timeField] as number));
  const states = new Map<string, EntityState>();
  const entities: Map<string, number>[] = new Array(records.length);
  for (let g = 0; g < order.length;) {
    const t = records[order[g]][timeField] as number;
    let end = g;
    while (end < order.length && records[order[end]][timeField] === t) end++;
    for (let i = g; i < end; i++) {
      const r = records[order[i]];
      const values = new Map<string, number>();
      for (const e of spec.entities) {
        const s = states.get(storeKey(model, e, r));
        values.set(e.name, resolveEntity(e, s && { value: s.value(), eventTime: s.eventTime }, t).value);
      }
      entities[order[i]] = values;
    }
    for (let i = g; i < end; i++) {
      const r = records[order[i]];
      for (const e of spec.entities) {
        const x = r[e.aggregate.of];
        if (typeof x !== 'number') continue;
        const key = storeKey(model, e, r);
        let s = states.get(key);
        if (!s) states.set(key, (s = new EntityState(e.aggregate)));
        s.add(x, t);
      }
    }
    g = end;
  }
  const latest = new Map<string, StoredValue>();
  for (const [key, s] of [...states].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    latest.set(key, { value: s.value(), eventTime: s.eventTime });
  }
  return { entities, latest };
}
