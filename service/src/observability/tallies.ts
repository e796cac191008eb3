import type { Aggregator, LabelValues, MetricValueWithName } from 'prom-client';

/**
 * Counters, gauges and histograms counted in plain numbers outside prom-client, for the series the
 * request path adds to. prom-client 15 validates and hashes the labels of every observation, even
 * through a series bound with `labels()` (docs/benchmarks.md, issue 17). Here a caller resolves a
 * series once (`series(labels)`) and then adds to its numbers. A tally registers in a prom-client
 * Registry as a metric of its own, and `get()` gives at scrape time what prom-client's Counter,
 * Gauge or Histogram would give for the same observations (values, label objects, series order), so
 * /metrics and the cluster primary's aggregation see no difference.
 */

export interface TallySpec<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /** How the cluster primary combines workers' values; prom-client's default is `sum`. */
  aggregator?: Aggregator;
}

type Exported = MetricValueWithName<string> & { exemplar?: null };

/** One label set's numbers. It joins the export at its first observation, as prom-client's do. */
abstract class Series<L extends string> {
  private listed = false;

  constructor(
    readonly labels: LabelValues<L>,
    private readonly list: (series: Series<L>) => void,
  ) {}

  protected touch(): void {
    if (this.listed) return;
    this.listed = true;
    this.list(this);
  }

  /** Back to nothing observed, out of the export until the next observation. */
  unlist(): void {
    this.listed = false;
    this.clear();
  }

  protected abstract clear(): void;
  abstract values(name: string): Exported[];
}

abstract class Tally<L extends string, S extends Series<L>> {
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly aggregator: Aggregator;
  /** Every series ever resolved: a handle stays valid across resets. */
  private readonly byKey = new Map<string, S>();
  /** The series observed since the last reset, in the order of their first observation. */
  private listed: S[] = [];

  constructor(spec: TallySpec<L>) {
    this.name = spec.name;
    this.help = spec.help;
    this.labelNames = spec.labelNames;
    this.aggregator = spec.aggregator ?? 'sum';
  }

  /**
   * The series of this label set, created on first use. Resolve once and keep it: this builds a
   * key. A label left out stays out of the export, as with prom-client.
   */
  series(labels: LabelValues<L>): S {
    const key = this.keyOf(labels);
    let s = this.byKey.get(key);
    if (!s) {
      s = this.create({ ...labels }, (listed) => this.listed.push(listed as S));
      this.byKey.set(key, s);
    }
    return s;
  }

  /** Forgets every observation, as prom-client's `reset()` and `Registry.resetMetrics()` do. */
  reset(): void {
    for (const s of this.listed) s.unlist();
    this.listed = [];
  }

  /** What a scrape reads, in the shape of prom-client's `get()` of the same metric type. */
  async get() {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values: this.listed.flatMap((s) => s.values(this.name)),
      aggregator: this.aggregator,
    };
  }

  protected abstract create(labels: LabelValues<L>, list: (series: Series<L>) => void): S;

  private keyOf(labels: LabelValues<L>): string {
    for (const name of Object.keys(labels)) {
      if (!this.labelNames.includes(name as L))
        throw new Error(
          `Added label "${name}" is not included in initial labelset: ${this.labelNames.join(', ')}`,
        );
    }
    // \u0001 marks a label left out, which is another series than the same label set to ''.
    return this.labelNames
      .map((n) => (labels[n] === undefined ? '\u0001' : String(labels[n])))
      .join('\u0000');
  }
}

/** A series that is one number, as prom-client's counters and gauges export it. */
abstract class ValueSeries<L extends string> extends Series<L> {
  value = 0;

  protected clear(): void {
    this.value = 0;
  }

  values(): Exported[] {
    return [{ value: this.value, labels: this.labels }];
  }
}

export class CounterSeries<L extends string> extends ValueSeries<L> {
  inc(amount = 1): void {
    if (!(amount >= 0 && amount < Infinity))
      throw new Error(`a counter only grows, by a finite amount: ${amount}`);
    this.value += amount;
    this.touch();
  }
}

export class GaugeSeries<L extends string> extends ValueSeries<L> {
  set(value: number): void {
    this.value = value;
    this.touch();
  }
}

export class HistogramSeries<L extends string> extends Series<L> {
  /** Observations per bucket, not cumulative; the last slot holds those above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    labels: LabelValues<L>,
    list: (series: Series<L>) => void,
    private readonly bounds: readonly number[],
  ) {
    super(labels, list);
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.bounds;
    let i = 0;
    // `le` is inclusive: a value equal to a bound falls in that bound's bucket.
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
    this.touch();
  }

  protected clear(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  values(name: string): Exported[] {
    const bucket = `${name}_bucket`;
    const out: Exported[] = [];
    let cumulative = 0;
    this.bounds.forEach((le, i) => {
      cumulative += this.counts[i];
      out.push({ value: cumulative, metricName: bucket, exemplar: null, labels: { le, ...this.labels } });
    });
    out.push(
      { value: this.count, metricName: bucket, exemplar: null, labels: { le: '+Inf', ...this.labels } },
      { value: this.sum, metricName: `${name}_sum`, exemplar: undefined, labels: { ...this.labels } },
      { value: this.count, metricName: `${name}_count`, exemplar: undefined, labels: { ...this.labels } },
    );
    return out;
  }
}

export class CounterTally<L extends string> extends Tally<L, CounterSeries<L>> {
  readonly type = 'counter';

  /** prom-client's `inc(labels, value)`, for callers off the request path. */
  inc(labels: LabelValues<L>, amount = 1): void {
    this.series(labels).inc(amount);
  }

  protected create(labels: LabelValues<L>, list: (series: Series<L>) => void) {
    return new CounterSeries(labels, list);
  }
}

export class GaugeTally<L extends string> extends Tally<L, GaugeSeries<L>> {
  readonly type = 'gauge';

  set(labels: LabelValues<L>, value: number): void {
    this.series(labels).set(value);
  }

  protected create(labels: LabelValues<L>, list: (series: Series<L>) => void) {
    return new GaugeSeries(labels, list);
  }
}

export class HistogramTally<L extends string> extends Tally<L, HistogramSeries<L>> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];

  constructor(spec: TallySpec<L> & { buckets: readonly number[] }) {
    super(spec);
    // Placement scans the bounds in order, so they must increase.
    for (let i = 1; i < spec.buckets.length; i++) {
      if (!(spec.buckets[i] > spec.buckets[i - 1]))
        throw new Error(`${spec.name}: bucket bounds must increase, got ${spec.buckets.join(', ')}`);
    }
    this.buckets = [...spec.buckets];
  }

  /** prom-client's `observe(labels, value)`, for callers off the request path. */
  observe(labels: LabelValues<L>, value: number): void {
    this.series(labels).observe(value);
  }

  protected create(labels: LabelValues<L>, list: (series: Series<L>) => void) {
    return new HistogramSeries(labels, list, this.buckets);
  }
}

/**
 * Something resolved once per model version (its series), found again with two Map lookups and no
 * key string built. Entries live as long as the process, as the series they hold do: prom-client
 * never dropped an unloaded version's series either, and a version loaded again counts on in them.
 */
export class PerVersion<T> {
  private readonly models = new Map<string, Map<string, T>>();

  constructor(private readonly create: (model: string, version: string) => T) {}

  /** The version's entry, made by `create` the first time. */
  get(model: string, version: string, create = this.create): T {
    let versions = this.models.get(model);
    if (!versions) this.models.set(model, (versions = new Map()));
    let entry = versions.get(version);
    if (entry === undefined) versions.set(version, (entry = create(model, version)));
    return entry;
  }

  /** The version's entry, if it has one. */
  find(model: string, version: string): T | undefined {
    return this.models.get(model)?.get(version);
  }

  *values(): IterableIterator<T> {
    for (const versions of this.models.values()) yield* versions.values();
  }

  clear(): void {
    this.models.clear();
  }
}
