import autocannon from 'autocannon';
import type { StepSamples } from './results';
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
 * Runs one constant-rate step with autocannon. autocannon's `overallRate` is split into a per-connection
 * budget that refills every second; `connections` is sized so the budget is reachable at the expected
 * latency. Latencies are recorded per response, so exact percentiles (p95 included) can be computed.
 */
export async function driveStep(step: Step, opts: DriveOptions): Promise<StepSamples> {
  const samples: StepSamples = {
    targetRps: step.rate,
    plannedSec: step.durationSec,
    elapsedSec: 0,
    latenciesMs: [],
    failedResponses: 0,
    networkErrors: 0,
    checkPasses: 0,
    checkFails: 0,
  };
  const started = process.hrtime.bigint();
  if (step.rate <= 0) {
    await sleep(step.durationSec * 1000);
  } else {
    const checkNames = Object.keys(opts.checks);
    await new Promise<void>((resolve, reject) => {
      const instance = autocannon(
        {
          url: opts.target,
          connections: Math.max(1, Math.min(opts.connections, step.rate)),
          overallRate: step.rate,
          duration: step.durationSec,
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
  samples.elapsedSec = Number(process.hrtime.bigint() - started) / 1e9;
  return samples;
}
