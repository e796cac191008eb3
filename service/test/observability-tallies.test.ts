import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { CounterTally, GaugeTally, HistogramTally, PerVersion } from '../src/observability/tallies';

const BUCKETS = [0.005, 0.01, 0.1, 1];
const LABELS = ['model', 'version', 'protocol'] as const;
type L = (typeof LABELS)[number];

/** The same metrics twice: prom-client's own, and the tallies, each in a registry of its own. */
function pair() {
  const prom = new Registry();
  const tally = new Registry();
  const spec = { help: 'h', labelNames: LABELS };
  const p = {
    counter: new Counter({ ...spec, name: 'c_total', registers: [prom] }),
    gauge: new Gauge({ ...spec, name: 'g', registers: [prom], aggregator: 'max' }),
    histogram: new Histogram({ ...spec, name: 'h_seconds', buckets: BUCKETS, registers: [prom] }),
  };
  const t = {
    counter: new CounterTally<L>({ ...spec, name: 'c_total' }),
    gauge: new GaugeTally<L>({ ...spec, name: 'g', aggregator: 'max' }),
    histogram: new HistogramTally<L>({ ...spec, name: 'h_seconds', buckets: BUCKETS }),
  };
  for (const m of Object.values(t)) tally.registerMetric(m as unknown as Metric);
  return { prom, tally, p, t };
}

type Step = { labels: Partial<Record<L, string>>; value: number };

/** Observations in an order that creates series out of label order, with values on and off the bounds. */
const STEPS: Step[] = [
  { labels: { model: 'b', version: '2', protocol: 'rest' }, value: 0.01 },
  { labels: { model: 'a', version: '1', protocol: 'grpc' }, value: 0.005 },
  { labels: { model: 'b', version: '2', protocol: 'rest' }, value: 0.0100001 },
  { labels: { model: 'a', version: '1', protocol: 'rest' }, value: 7 },
  { labels: { model: 'a', version: '1', protocol: 'grpc' }, value: 0 },
  { labels: { model: 'a', version: '' }, value: 1 },
  { labels: { version: '1', model: 'c', protocol: 'rest' }, value: 0.25 },
];

function feed({ p, t }: ReturnType<typeof pair>, steps: Step[]) {
  for (const { labels, value } of steps) {
    p.counter.inc(labels, value);
    t.counter.inc(labels, value);
    p.gauge.set(labels, value);
    t.gauge.set(labels, value);
    p.histogram.observe(labels, value);
    t.histogram.observe(labels, value);
  }
}

describe('tallies against prom-client', () => {
  it('export the same text and JSON as prom-client for the same observations', async () => {
    const both = pair();
    feed(both, STEPS);
    expect(await both.tally.metrics()).toBe(await both.prom.metrics());
    expect(await both.tally.getMetricsAsJSON()).toEqual(await both.prom.getMetricsAsJSON());
  });

  it('export nothing for a series resolved but never observed, and list series by first observation', async () => {
    const both = pair();
    both.t.histogram.series({ model: 'z', version: '9', protocol: 'rest' });
    both.t.counter.series({ model: 'z', version: '9', protocol: 'rest' });
    const late = both.t.histogram.series({ model: 'b', version: '2', protocol: 'rest' });
    feed(both, STEPS.slice(1));
    late.observe(0.5);
    both.p.histogram.observe({ model: 'b', version: '2', protocol: 'rest' }, 0.5);
    expect(await both.tally.metrics()).toBe(await both.prom.metrics());
    expect(await both.tally.metrics()).not.toContain('model="z"');
  });

  it('reset as prom-client does: everything gone, handles still count afterwards', async () => {
    const both = pair();
    const handle = both.t.histogram.series({ model: 'a', version: '1', protocol: 'grpc' });
    feed(both, STEPS);
    both.prom.resetMetrics();
    both.tally.resetMetrics();
    expect(await both.tally.metrics()).toBe(await both.prom.metrics());
    expect((await both.t.histogram.get()).values).toEqual([]);
    handle.observe(0.2);
    both.p.histogram.observe({ model: 'a', version: '1', protocol: 'grpc' }, 0.2);
    feed(both, STEPS.slice(3));
    expect(await both.tally.metrics()).toBe(await both.prom.metrics());
  });

  it('sum across cluster workers as prom-client does, with each metric its aggregator', async () => {
    const workers = [pair(), pair()];
    feed(workers[0], STEPS);
    feed(workers[1], STEPS.slice(2));
    const merged = async (side: 'prom' | 'tally') =>
      AggregatorRegistry.aggregate(
        await Promise.all(workers.map((w) => w[side].getMetricsAsJSON())),
      ).metrics();
    const text = await merged('tally');
    expect(text).toBe(await merged('prom'));
    // a's grpc series saw 0.005 and 0 in worker 0, 0 in worker 1: three observations.
    expect(text).toContain('h_seconds_count{model="a",version="1",protocol="grpc"} 3');
  });
});

describe('HistogramTally', () => {
  const histogram = () =>
    new HistogramTally<'model' | 'version'>({
      name: 'x_seconds',
      help: 'h',
      labelNames: ['model', 'version'],
      buckets: BUCKETS,
    });
  const byLe = async (h: HistogramTally<'model' | 'version'>) =>
    Object.fromEntries(
      (await h.get()).values
        .filter((v) => v.metricName === 'x_seconds_bucket')
        .map((v) => [String(v.labels.le), v.value]),
    );

  it('puts a value equal to a bound in that bucket (le is inclusive) and one above every bound in +Inf only', async () => {
    const h = histogram();
    const s = h.series({ model: 'm', version: '1' });
    for (const v of [0.005, 0.005, 0.0050000001, 0.01, 1, 1.0000001, 50]) s.observe(v);
    expect(Array.from(s.counts)).toEqual([2, 2, 0, 1, 2]);
    expect(await byLe(h)).toEqual({ '0.005': 2, '0.01': 4, '0.1': 4, '1': 5, '+Inf': 7 });
    expect(s.count).toBe(7);
    expect(s.sum).toBeCloseTo(0.005 * 2 + 0.0050000001 + 0.01 + 1 + 1.0000001 + 50, 12);
    const values = (await h.get()).values;
    expect(values.find((v) => v.metricName === 'x_seconds_count')?.value).toBe(7);
    expect(values.find((v) => v.metricName === 'x_seconds_sum')?.labels).toEqual({
      model: 'm',
      version: '1',
    });
  });

  it('keeps versions apart and counts each exactly', async () => {
    const h = histogram();
    const v1 = h.series({ model: 'm', version: '1' });
    const v2 = h.series({ model: 'm', version: '2' });
    for (let i = 0; i < 1000; i++) (i % 4 === 0 ? v2 : v1).observe(0.001 * (i % 3));
    expect(h.series({ model: 'm', version: '1' })).toBe(v1);
    expect([v1.count, v2.count]).toEqual([750, 250]);
    const counts = (await h.get()).values.filter((v) => v.metricName === 'x_seconds_count');
    expect(counts.map((v) => [v.labels.version, v.value])).toEqual([
      ['2', 250],
      ['1', 750],
    ]);
  });

  it('refuses what prom-client refuses: an unknown label, a value that is not a finite number', () => {
    const h = histogram();
    expect(() => h.observe({ model: 'm', shard: '1' } as never, 1)).toThrow(/shard/);
    expect(() => h.series({ model: 'm', version: '1' }).observe(NaN)).toThrow(TypeError);
    expect(() => new HistogramTally({ name: 'y', help: 'h', labelNames: [], buckets: [1, 1] })).toThrow(
      /increase/,
    );
  });

  it('keeps a label left out apart from the same label set to an empty string', async () => {
    const h = new HistogramTally<L>({ name: 'x_seconds', help: 'h', labelNames: LABELS, buckets: BUCKETS });
    h.observe({ model: 'm', version: '' }, 1);
    h.observe({ model: 'm', version: '', protocol: '' }, 1);
    expect(h.series({ model: 'm', version: '' }).count).toBe(1);
    expect(h.series({ model: 'm', version: '', protocol: '' }).count).toBe(1);
  });
});

describe('CounterTally and GaugeTally', () => {
  it('count exactly, never down, and a gauge holds its last value', async () => {
    const c = new CounterTally<'model'>({ name: 'n_total', help: 'h', labelNames: ['model'] });
    const s = c.series({ model: 'm' });
    for (let i = 0; i < 10_000; i++) s.inc();
    c.inc({ model: 'm' }, 2.5);
    expect((await c.get()).values).toEqual([{ value: 10_002.5, labels: { model: 'm' } }]);
    expect(() => s.inc(-1)).toThrow(/only grows/);
    expect(() => s.inc(Infinity)).toThrow(/only grows/);
    const g = new GaugeTally<'model'>({ name: 'd', help: 'h', labelNames: ['model'] });
    g.set({ model: 'm' }, 5);
    g.series({ model: 'm' }).set(0);
    expect((await g.get()).values).toEqual([{ value: 0, labels: { model: 'm' } }]);
  });
});

describe('PerVersion', () => {
  it('creates once per model version, and a version loaded again finds the same entry', () => {
    const created: string[] = [];
    const versions = new PerVersion((model, version) => {
      created.push(`${model}/${version}`);
      return { model, version };
    });
    const first = versions.get('m', '1');
    expect(versions.get('m', '1')).toBe(first);
    expect(versions.get('m', '2')).not.toBe(first);
    expect(versions.get('n', '1')).not.toBe(first);
    expect(created).toEqual(['m/1', 'm/2', 'n/1']);
  });

  it('finds without creating, makes an entry with a create of its own, lists and forgets them', () => {
    const versions = new PerVersion((model, version) => `${model}/${version}`);
    expect(versions.find('m', '1')).toBeUndefined();
    expect(versions.get('m', '1', (model, version) => `own ${model}/${version}`)).toBe('own m/1');
    expect(versions.find('m', '1')).toBe('own m/1');
    versions.get('n', '2');
    expect([...versions.values()]).toEqual(['own m/1', 'n/2']);
    versions.clear();
    expect([...versions.values()]).toEqual([]);
  });
});
