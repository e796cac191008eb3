import autocannon from 'autocannon';
import { percentile } from '../../test/support/load';

export const CONNECTIONS = 64;

/** One load run as the benchmarks report it; latencies in fractional milliseconds. */
export interface LatencyRun {
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  failures: number;
}
export type Run = LatencyRun;

export function summarise(latencies: number[], seconds: number, failures: number): LatencyRun {
  return {
    requests: latencies.length,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    failures,
  };
}

export const CLASSIFIER_PATH = '/v2/models/breast-cancer/infer';

/**
 * A closed loop on loopback: autocannon POSTing `payload` to `url + path`, with every response's
 * latency (its summary only has whole milliseconds).
 */
export async function closedLoop(
  url: string,
  payload: string | Buffer,
  connections: number,
  seconds: number,
  headers: Record<string, string> = {},
  path = CLASSIFIER_PATH,
): Promise<LatencyRun> {
  if (!url.startsWith('http://127.0.0.1:')) throw new Error(`benchmarks target loopback only, got ${url}`);
  const latencies: number[] = [];
  let failures = 0;
  let instance: autocannon.Instance | undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: url + path,
        method: 'POST',
        connections,
        body: payload,
        headers: { 'content-type': 'application/json', ...headers },
        duration: seconds,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
  instance!.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
    if (status !== 200) failures++;
  });
  const result = await finished;
  return summarise(latencies, seconds, failures + result.errors + result.timeouts);
}

/** `CONNECTIONS` connections POSTing `body` to the full `url` for `seconds`. */
export const drive = (url: string, body: string, seconds: number): Promise<LatencyRun> =>
  closedLoop(url, body, CONNECTIONS, seconds, {}, '');

export const fmt = (r: LatencyRun) =>
  `${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(2).padStart(7)} ms   p95 ${r.p95
    .toFixed(2)
    .padStart(
      7,
    )} ms   p99 ${r.p99.toFixed(2).padStart(7)} ms   (${r.requests} requests, ${r.failures} not 200)`;
