import type { Sla } from '@ml-platform/stack-config';
import { evaluateThresholds } from '../evaluate';
import { buildInferRequest, INFER_CHECKS, inferPath } from '../payload';
import { buildReport, type LoadTestReport } from '../report/report';
import { buildScenario, concurrencyFor, type ScenarioName } from '../scenarios';
import { trendStats } from '../trend';
import { toModelInferRequest } from '../grpc-payload';
import { driveStep } from './autocannon-driver';
import { driveGrpcStep, GrpcOipClient } from './grpc-driver';
import { OipClient } from './oip-client';
import { planSteps } from './plan';
import { localMetrics, stageResults, type StepSamples } from './results';

export interface LocalRunOptions {
  scenario: ScenarioName;
  target: string;
  stack: string;
  sla: Sla;
  model?: string;
  durationSec?: number;
  batchSize?: number;
  /** Sent as a bearer token; never printed. */
  apiKey?: string;
  /** Default rest; grpc drives ModelInfer on the target's host:port with a Node gRPC client. */
  protocol?: 'rest' | 'grpc';
  /** Progress lines (one per step). */
  log?: (line: string) => void;
}

const REQUEST_TIMEOUT_SEC = 10;

/**
 * Drives a scenario against an OIP endpoint with autocannon, step by step, and judges it with the
 * scenario's thresholds. Like k6's abortOnFail, a gross breach stops the remaining steps once the
 * abort delay has passed.
 */
export async function runLocalScenario(opts: LocalRunOptions): Promise<LoadTestReport> {
  const def = buildScenario(opts.sla, opts.scenario, opts.durationSec);
  const target = opts.target.replace(/\/+$/, '');
  const headers: Record<string, string> = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
  const grpcClient =
    opts.protocol === 'grpc' ? new GrpcOipClient(new URL(target).host, opts.apiKey) : undefined;
  try {
    return await runSteps(opts, def, target, headers, grpcClient);
  } finally {
    grpcClient?.close();
  }
}

async function runSteps(
  opts: LocalRunOptions,
  def: ReturnType<typeof buildScenario>,
  target: string,
  headers: Record<string, string>,
  grpcClient: GrpcOipClient | undefined,
): Promise<LoadTestReport> {
  const client = grpcClient ?? new OipClient(target, headers);
  await client.assertReady();
  const model = opts.model ?? (await client.firstModel());
  const metadata = grpcClient
    ? await grpcClient.modelMetadata(model)
    : await (client as OipClient).metadata(model);
  const stats = trendStats(def.thresholds);
  const abortDelaySec = Math.min(
    ...Object.values(def.thresholds)
      .flat()
      .filter((t) => t.abortOnFail)
      .map((t) => t.delayAbortEvalSec ?? 0),
  );

  const samples: StepSamples[] = [];
  let aborted: string | null = null;
  let elapsed = 0;
  for (const [i, step] of planSteps(def.profile).entries()) {
    const payload = () => buildInferRequest(metadata, { batchSize: opts.batchSize });
    const connections = concurrencyFor(step.rate, opts.sla);
    const s = grpcClient
      ? await driveGrpcStep(step, {
          client: grpcClient,
          request: () => toModelInferRequest(model, payload()),
          connections,
          timeoutSec: REQUEST_TIMEOUT_SEC,
        })
      : await driveStep(step, {
          target,
          path: inferPath(model),
          headers,
          body: () => JSON.stringify(payload()),
          checks: INFER_CHECKS,
          connections,
          timeoutSec: REQUEST_TIMEOUT_SEC,
        });
    samples.push(s);
    elapsed += s.elapsedSec;
    opts.log?.(
      `step ${i + 1}: target ${step.rate} rps for ${step.durationSec.toFixed(1)}s -> ` +
        `${s.latenciesMs.length + s.networkErrors} requests, ${s.failedResponses + s.networkErrors} failed`,
    );
    if (elapsed >= abortDelaySec) {
      const partial = evaluateThresholds(def.thresholds, localMetrics(samples, stats));
      const breach = partial.results.find((r) => r.abortOnFail && !r.ok);
      if (breach) {
        aborted = `gross breach of ${breach.metric} ${breach.expression} after ${elapsed.toFixed(1)}s`;
        break;
      }
    }
  }

  const metrics = localMetrics(samples, stats);
  return buildReport({
    tool: grpcClient ? 'grpc-js' : 'autocannon',
    scenario: def.name,
    description: def.description,
    stack: opts.stack,
    target,
    model,
    sla: opts.sla,
    durationSec: elapsed,
    metrics,
    verdict: evaluateThresholds(def.thresholds, metrics),
    aborted,
    stages: stageResults(samples),
  });
}
