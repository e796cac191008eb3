/**
 * Garbage-collection pauses of the service during a bench run, from its own /metrics: prom-client's
 * `nodejs_gc_duration_seconds{kind}` histogram, which perf_hooks' 'gc' entries feed (one per pause
 * of the main thread). Two readings, before and after a run, give that run's pauses by kind.
 */

/** One GC kind's pauses over a run. */
export interface GcPauses {
  /** minor (scavenge), major (mark-compact), incremental (marking steps) or weakcb. */
  kind: string;
  count: number;
  totalMs: number;
  /** The smallest bucket bound that holds every pause of the run: the longest is at most this. */
  longestAtMostMs: number;
  /** Pauses over 1 ms. */
  over1Ms: number;
}

interface KindReading {
  count: number;
  sum: number;
  /** Cumulative bucket counts by upper bound in seconds (+Inf included). */
  buckets: Map<number, number>;
}

const SERIES = /^nodejs_gc_duration_seconds_(bucket|sum|count)\{([^}]*)\} (\S+)$/gm;

function labelsOf(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of text.matchAll(/(\w+)="([^"]*)"/g)) labels[m[1]] = m[2];
  return labels;
}

/** The GC histogram of one /metrics text, by kind. */
export function readGcHistogram(metricsText: string): Map<string, KindReading> {
  const kinds = new Map<string, KindReading>();
  for (const [, part, labelText, value] of metricsText.matchAll(SERIES)) {
    const labels = labelsOf(labelText);
    let kind = kinds.get(labels.kind);
    if (!kind) kinds.set(labels.kind, (kind = { count: 0, sum: 0, buckets: new Map() }));
    const v = Number(value);
    if (part === 'count') kind.count = v;
    else if (part === 'sum') kind.sum = v;
    else kind.buckets.set(labels.le === '+Inf' ? Infinity : Number(labels.le), v);
  }
  return kinds;
}

/** The pauses between two readings of /metrics, by kind; kinds without a pause are left out. */
export function gcPausesBetween(before: string, after: string): GcPauses[] {
  const was = readGcHistogram(before);
  const out: GcPauses[] = [];
  for (const [kind, now] of readGcHistogram(after)) {
    const then = was.get(kind);
    const count = now.count - (then?.count ?? 0);
    if (count <= 0) continue;
    const inBucket = (le: number) => (now.buckets.get(le) ?? 0) - (then?.buckets.get(le) ?? 0);
    const bounds = [...now.buckets.keys()].sort((a, b) => a - b);
    const holdsAll = bounds.find((le) => inBucket(le) >= count) ?? Infinity;
    out.push({
      kind,
      count,
      totalMs: (now.sum - (then?.sum ?? 0)) * 1000,
      longestAtMostMs: holdsAll * 1000,
      over1Ms: bounds.includes(0.001) ? count - inBucket(0.001) : NaN,
    });
  }
  return out.sort((a, b) => b.totalMs - a.totalMs);
}

/** Several runs' pauses as one, by kind: counts and totals add up, the longest is the longest. */
export function mergeGcPauses(runs: readonly (readonly GcPauses[])[]): GcPauses[] {
  const kinds = new Map<string, GcPauses>();
  for (const p of runs.flat()) {
    const k = kinds.get(p.kind);
    if (!k) kinds.set(p.kind, { ...p });
    else {
      k.count += p.count;
      k.totalMs += p.totalMs;
      k.over1Ms += p.over1Ms;
      k.longestAtMostMs = Math.max(k.longestAtMostMs, p.longestAtMostMs);
    }
  }
  return [...kinds.values()].sort((a, b) => b.totalMs - a.totalMs);
}

/** `minor 12 pauses, 9.1 ms in all, longest <= 2 ms (3 over 1 ms)`, one kind per clause. */
export function describeGcPauses(pauses: readonly GcPauses[]): string {
  if (pauses.length === 0) return 'no GC pause';
  return pauses
    .map(
      (p) =>
        `${p.kind} ${p.count} pause${p.count === 1 ? '' : 's'}, ${p.totalMs.toFixed(1)} ms in all, ` +
        `longest <= ${p.longestAtMostMs} ms (${p.over1Ms} over 1 ms)`,
    )
    .join('; ');
}
