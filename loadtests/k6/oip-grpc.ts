import type {} from 'k6'; // brings the k6 globals (__ENV) into scope
/**
 * The gRPC twin of oip-infer.ts: the same SLA-derived scenario and thresholds, driven over the Open
 * Inference Protocol's gRPC API (ModelInfer with typed contents). Bundled by `npm run build:k6` into
 * loadtests/dist/oip-grpc.js next to inference.proto, which it loads (the public endpoint does not
 * expose reflection).
 *
 *   k6 run -e STACK=staging -e SCENARIO=load -e TARGET=grpc.example.com:443 -e MODEL=breast-cancer dist/oip-grpc.js
 *
 * Env: STACK, TARGET (host:port) and MODEL (required); SCENARIO (default smoke); DURATION; BATCH_SIZE;
 * API_KEY (sent as a bearer token in metadata); PLAINTEXT=true for a port without TLS (local);
 * OUT_DIR (where summaries go, default .).
 */
import grpc from 'k6/net/grpc';
import { check } from 'k6';
import { Counter, Rate } from 'k6/metrics';
import type { Sla } from '@ml-platform/stack-config';
import { evaluateThresholds, metricsFromK6Summary } from '../src/evaluate';
import {
  GRPC_METRICS,
  inverse,
  MODEL_INFER_METHOD,
  MODEL_METADATA_METHOD,
  renameMetrics,
  toModelInferRequest,
} from '../src/grpc-payload';
import { toK6Options } from '../src/k6-options';
import { buildInferRequest, parseModelMetadata, type ModelMetadata } from '../src/payload';
import { buildReport } from '../src/report/report';
import { k6SummaryFiles } from '../src/report/k6-files';
import { requiredEnv, scenarioFromEnv } from '../src/k6-env';

declare const __STACK_SLAS__: Record<string, Sla>;

const { stack, sla, definition, batchSize } = scenarioFromEnv(__ENV, __STACK_SLAS__);
const required = (name: string) => requiredEnv(__ENV, name);
const target = required('TARGET');
const model = required('MODEL');
const metadata: Record<string, string> = __ENV.API_KEY ? { authorization: `Bearer ${__ENV.API_KEY}` } : {};

// The same thresholds on k6's gRPC metric names.
export const options = toK6Options({
  ...definition,
  thresholds: renameMetrics(definition.thresholds, GRPC_METRICS),
});

const failed = new Rate(GRPC_METRICS.http_req_failed);
const calls = new Counter(GRPC_METRICS.http_reqs);
const client = new grpc.Client();
client.load(['.'], 'inference.proto');

function connect(): void {
  client.connect(target, { plaintext: __ENV.PLAINTEXT === 'true' });
}

export function setup(): { metadata: ModelMetadata } {
  connect();
  const res = client.invoke(MODEL_METADATA_METHOD, { name: model }, { metadata });
  if (res.status !== grpc.StatusOK) throw new Error(`ModelMetadata ${model}: gRPC status ${res.status}`);
  const raw = res.message as { inputs?: { shape?: (string | number)[] }[] };
  // int64 shapes arrive as strings in the JSON mapping.
  const inputs = (raw.inputs ?? []).map((i) => ({ ...i, shape: (i.shape ?? []).map(Number) }));
  client.close();
  return { metadata: parseModelMetadata({ ...raw, inputs }) };
}

export default function (data: { metadata: ModelMetadata }): void {
  if (__ITER === 0) connect();
  const request = toModelInferRequest(model, buildInferRequest(data.metadata, { batchSize }));
  const res = client.invoke(MODEL_INFER_METHOD, request, { metadata, tags: { name: 'infer' } });
  const ok = res !== undefined && res.status === grpc.StatusOK;
  calls.add(1);
  failed.add(!ok);
  check(res, {
    'status is OK': () => ok,
    'response has outputs': () =>
      ok &&
      Array.isArray((res.message as { outputs?: unknown[] }).outputs) &&
      (res.message as { outputs: unknown[] }).outputs.length > 0,
  });
}

interface SummaryData {
  state?: { testRunDurationMs?: number };
  metrics?: Record<string, unknown>;
}

export function handleSummary(data: SummaryData): Record<string, string> {
  // Back to the names the thresholds and the report read.
  const metrics = metricsFromK6Summary({
    ...data,
    metrics: renameMetrics(data.metrics ?? {}, inverse(GRPC_METRICS)),
  });
  const verdict = evaluateThresholds(definition.thresholds, metrics);
  const report = buildReport({
    tool: 'k6',
    scenario: definition.name,
    description: `${definition.description} (gRPC)`,
    stack,
    target,
    model,
    sla,
    durationSec: (data.state?.testRunDurationMs ?? 0) / 1000,
    metrics,
    verdict,
    aborted: verdict.grossBreach ? 'a gross SLA breach (abortOnFail threshold) stopped the run' : null,
  });
  return k6SummaryFiles(report, data, __ENV.OUT_DIR, 'k6-grpc-summary.json');
}
