import autocannon from 'autocannon';
import { percentile } from '../../test/support/load';

/** One load run as the benchmarks report it; latencies in fractional milliseconds. */
export interface LatencyRun {
  n: number;
  rps: number;
  p50: number;
  p99: number;
  failures: number;
}

export function summarise(latencies: number[], seconds: number, failures: number): LatencyRun {
  return {
    n: latencies.length,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failures,
  };
}

export const CLASSIFIER_PATH = '/v2/models/breast-cancer/infer';

/** A closed loop: autocannon with every response's latency (its summary only has whole ms). */
export async function closedLoop(
  url: string,
  payload: string,
  connections: number,
  seconds: number,
  headers: Record<string, string> = {},
  path = CLASSIFIER_PATH,
): Promise<LatencyRun> {
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
