import type { ConsoleStatus, PointField, Value } from './status';

export interface SeriesKey {
  model: string;
  version: string;
}

const keyOf = (k: SeriesKey) => `${k.model}\u0000${k.version}`;

/**
 * The page's copy of the recent series: the first poll brings the whole window, later polls only
 * what is newer, and what falls out of the window is dropped, like the server's ring.
 */
export class SeriesStore {
  /** Seconds since the epoch, as uPlot's time axis wants them. */
  readonly t: number[] = [];
  readonly keys: SeriesKey[] = [];
  private readonly values = new Map<string, Partial<Record<PointField, Value[]>>>();
  lastMs: number | undefined;

  /** Adds a status's series; true when the set of series changed (the charts need rebuilding). */
  append(status: ConsoleStatus): boolean {
    const { t, versions } = status.series;
    let changed = false;
    const before = this.t.length;
    for (const v of versions) {
      if (this.values.has(keyOf(v))) continue;
      changed = true;
      this.keys.push({ model: v.model, version: v.version });
      this.values.set(keyOf(v), {});
    }
    this.t.push(...t.map((ms) => ms / 1000));
    const incoming = new Map(versions.map((v) => [keyOf(v), v.points]));
    for (const [key, fields] of this.values) {
      const points: Partial<Record<PointField, Value[]>> = incoming.get(key) ?? {};
      const names = [...Object.keys(fields), ...Object.keys(points)] as PointField[];
      for (const field of new Set(names)) {
        const column = (fields[field] ??= new Array<Value>(before).fill(null));
        column.push(...(points[field] ?? new Array<Value>(t.length).fill(null)));
      }
    }
    if (t.length > 0) this.lastMs = t[t.length - 1];
    const cutoff = (status.series.t.at(-1) ?? Date.parse(status.generatedAt)) / 1000 - status.windowSeconds;
    const drop = this.t.findIndex((s) => s > cutoff);
    if (drop > 0) {
      this.t.splice(0, drop);
      for (const fields of this.values.values())
        for (const column of Object.values(fields)) column.splice(0, drop);
    }
    return changed;
  }

  column(key: SeriesKey, field: PointField): Value[] {
    return this.values.get(keyOf(key))?.[field] ?? new Array<Value>(this.t.length).fill(null);
  }

  /** True when some series has a value for `field` in the window. */
  has(field: PointField): boolean {
    return this.keys.some((k) => this.column(k, field).some((v) => v !== null));
  }
}
