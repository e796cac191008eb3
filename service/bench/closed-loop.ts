import autocannon from 'autocannon';
import { percentile } from '../../test/support/load';

export const CONNECTIONS = 64;

export interface Run {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  requests: number;
  failures: number;
}

/**
 * autocannon POSTing `body` from 64 connections for `seconds`; loopback only. Percentiles come from
 * every response's fractional milliseconds, not autocannon's summary.
 */
export async function drive(url: string, body: string, seconds: number): Promise<Run> {
  if (!url.startsWith('http://127.0.0.1:')) throw new Error(`benchmarks target loopback only, got ${url}`);
  const latencies: number[] = [];
  let failures = 0;
  let instance: autocannon.Instance | undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url,
        method: 'POST',
        connections: CONNECTIONS,
        duration: seconds,
        headers: { 'content-type': 'application/json' },
        body,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
  instance!.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
    if (status !== 200) failures++;
  });
  const result = await finished;
  failures += result.errors + result.timeouts;
  return {
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    requests: latencies.length,
    failures,
  };
}

export const fmt = (r: Run) =>
  `${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(2).padStart(7)} ms   p95 ${r.p95
    .toFixed(2)
    .padStart(
      7,
    )} ms   p99 ${r.p99.toFixed(2).padStart(7)} ms   (${r.requests} requests, ${r.failures} not 200)`;
