import autocannon from 'autocannon';
import { emptySamples, type StepSamples } from './results';
import type { Step } from './plan';

export interface DriveOptions {
  /** Base URL of the OIP endpoint. */
  target: string;
  path: string;
  headers: Record<string, string>;
  /** A fresh request body per call, so a prediction cache does not turn the test into cache hits. */
  body: () => string;
  /** Checks applied to each response body (the same as the k6 script's). */
  checks: Record<string, (status: number, body: string) => boolean>;
  connections: number;
  timeoutSec: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * autocannon refills each connection's request budget once per second, so a single instance sends a
 * burst at the start of every second. Several instances started a fraction of a second apart spread
 * those bursts evenly over the second, which is closer to k6's evenly paced arrivals.
 */
export const MAX_PHASES = 4;
const STOP_CHECK_MS = 50;

/** Splits `total` into `parts` whole numbers that differ by at most one. */
export function distribute(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/**
 * Runs one constant-rate step with autocannon `overallRate`, in up to MAX_PHASES phase-shifted
 * instances. `connections` is sized so each connection's budget is reachable at the expected latency.
 * Latencies are recorded per response, so exact percentiles (p95 included) can be computed.
 */
export async function driveStep(step: Step, opts: DriveOptions): Promise<StepSamples> {
  const samples = emptySamples(step.rate, step.durationSec);
  const started = process.hrtime.bigint();
  if (step.rate <= 0) {
    await sleep(step.durationSec * 1000);
  } else {
    const phases = Math.max(1, Math.min(MAX_PHASES, step.rate, Math.floor(step.durationSec * MAX_PHASES)));
    const rates = distribute(step.rate, phases);
    const connections = distribute(Math.max(opts.connections, phases), phases);
    await Promise.all(
      rates.map(async (rate, i) => {
        const offsetSec = i / phases;
        await sleep(offsetSec * 1000);
        await runInstance(
          { rate, connections: Math.min(connections[i], rate), durationSec: step.durationSec - offsetSec },
          // Its share of the step's requests: a refill tick that lands on the stop time sends no extra burst.
          Math.round(rate * step.durationSec),
          opts,
          samples,
        );
      }),
    );
  }
  samples.elapsedSec = Number(process.hrtime.bigint() - started) / 1e9;
  return samples;
}

function runInstance(
  { rate, connections, durationSec }: { rate: number; connections: number; durationSec: number },
  maxRequests: number,
  opts: DriveOptions,
  samples: StepSamples,
): Promise<void> {
  const checkNames = Object.keys(opts.checks);
  return new Promise<void>((resolve, reject) => {
    const instance = autocannon(
      {
        url: opts.target,
        connections,
        overallRate: rate,
        maxOverallRequests: maxRequests,
        duration: durationSec,
        // autocannon only notices the end of `duration` on its sampling tick (1 s by default).
        sampleInt: STOP_CHECK_MS,
        timeout: opts.timeoutSec,
        headers: { 'content-type': 'application/json', ...opts.headers },
        requests: [
          {
            method: 'POST',
            path: opts.path,
            setupRequest: (req) => ({ ...req, body: opts.body() }),
            onResponse: (status, body) => {
              for (const name of checkNames) {
                if (opts.checks[name](status, body)) samples.checkPasses++;
                else samples.checkFails++;
              }
            },
          },
        ],
      },
      (err) => (err ? reject(err) : resolve()),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      samples.latenciesMs.push(responseTime);
      if (statusCode >= 400) samples.failedResponses++;
    });
    instance.on('reqError', () => {
      samples.networkErrors++;
      // A request without a response fails every check, as a k6 check on status 0 would.
      samples.checkFails += checkNames.length;
    });
  });
}
