import { randomUUID } from 'node:crypto';

/** One request of a load run and what became of it: exactly one of `status` or `error`. */
export interface LoadResult {
  requestId: string;
  status?: number;
  error?: string;
  /** The x-request-id the response carried: a response to another request would show here. */
  echoedId?: string | null;
  headers?: Headers;
  ms: number;
  startedAt: number;
}

export interface LoadOptions {
  url: string;
  count: number;
  concurrency: number;
  /** Request `i`'s JSON body and headers. */
  request: (i: number) => { body: string; headers?: Record<string, string> };
  /** Spacing between request starts per worker, to stretch a run over time. */
  pauseMs?: number;
  /** Called after each response, e.g. to inject a fault at a point in the run. */
  onResult?: (r: LoadResult, done: number) => void | Promise<void>;
  timeoutMs?: number;
  /** Stop starting requests after this long, even if fewer than `count` were sent. */
  durationMs?: number;
  /** Stop starting requests once this returns true. */
  stop?: () => boolean;
}

/**
 * A bounded closed-loop load run against a loopback URL: `count` requests by `concurrency` workers,
 * each with a unique x-request-id, every outcome recorded. It stops by itself.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult[]> {
  if (!/^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)[:/]/.test(options.url))
    throw new Error(`load runs target loopback only, got ${options.url}`);
  const results: LoadResult[] = [];
  let next = 0;
  const stopAt = options.durationMs === undefined ? Infinity : performance.now() + options.durationMs;
  const worker = async () => {
    while (next < options.count && performance.now() < stopAt && !options.stop?.()) {
      const i = next++;
      const { body, headers } = options.request(i);
      const requestId = randomUUID();
      const startedAt = performance.now();
      const result: LoadResult = { requestId, ms: 0, startedAt };
      try {
        const res = await fetch(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...headers },
          body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
        });
        await res.arrayBuffer();
        result.status = res.status;
        result.echoedId = res.headers.get('x-request-id');
        result.headers = res.headers;
      } catch (err) {
        result.error = (err as Error).cause ? String((err as Error).cause) : String(err);
      }
      result.ms = performance.now() - startedAt;
      results.push(result);
      await options.onResult?.(result, results.length);
      if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return results;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]),
    );
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** The first sample named `name` that has every given label. */
export function findSample(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;
}

/** Reads one sample of a Prometheus text exposition, matching every given label. */
export async function scrapeMetric(
  baseUrl: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  return findSample(parseExposition(await (await fetch(`${baseUrl}/metrics`)).text()), name, labels);
}
