import type {} from 'k6'; // brings the k6 globals (__ENV) into scope
/**
 * k6 load test of one model on an Open Inference Protocol endpoint. Bundled by `npm run build:k6`
 * into loadtests/dist/oip-infer.js, with the SLA of every stack in the repository embedded.
 *
 *   k6 run -e STACK=staging -e SCENARIO=load -e TARGET=https://... -e MODEL=breast-cancer dist/oip-infer.js
 *
 * Env: STACK, TARGET (required); SCENARIO (smoke|load|stress|spike|soak, default smoke); MODEL
 * (default: the first model of the repository index); DURATION (seconds, compresses the scenario);
 * BATCH_SIZE; API_KEY (sent as a bearer token); OUT_DIR (where summaries go, default .).
 */
import http from 'k6/http';
import { check } from 'k6';
import { PATHS } from '@ml-platform/contract/names';
import type { Sla } from '@ml-platform/stack-config';
import { evaluateThresholds, metricsFromK6Summary } from '../src/evaluate';
import { toK6Options } from '../src/k6-options';
import {
  buildInferRequest,
  INFER_CHECKS,
  inferPath,
  metadataPath,
  parseModelMetadata,
  type ModelMetadata,
} from '../src/payload';
import { buildReport } from '../src/report/report';
import { k6SummaryFiles } from '../src/report/k6-files';
import { requiredEnv, scenarioFromEnv } from '../src/k6-env';

/** Replaced at bundle time by the `ml-platform:sla` of each Pulumi.<stack>.yaml. */
declare const __STACK_SLAS__: Record<string, Sla>;

const { stack, sla, definition, batchSize } = scenarioFromEnv(__ENV, __STACK_SLAS__);
const required = (name: string) => requiredEnv(__ENV, name);
const target = required('TARGET').replace(/\/+$/, '');
const headers: Record<string, string> = { 'Content-Type': 'application/json' };
if (__ENV.API_KEY) headers.Authorization = `Bearer ${__ENV.API_KEY}`;

export const options = toK6Options(definition);

interface SetupData {
  model: string;
  metadata: ModelMetadata;
}

function getJson(path: string, method: 'GET' | 'POST' = 'GET'): unknown {
  const res =
    method === 'GET'
      ? http.get(`${target}${path}`, { headers })
      : http.post(`${target}${path}`, '{}', { headers });
  if (res.status !== 200)
    throw new Error(`${method} ${path}: HTTP ${res.status} ${String(res.body).slice(0, 200)}`);
  return res.json();
}

export function setup(): SetupData {
  let model = __ENV.MODEL;
  if (!model) {
    const index = getJson(PATHS.repositoryIndex, 'POST') as Array<{ name: string }>;
    if (!Array.isArray(index) || index.length === 0)
      throw new Error('the repository index is empty: set MODEL');
    model = index[0].name;
  }
  return { model, metadata: parseModelMetadata(getJson(metadataPath(model))) };
}

export default function (data: SetupData): void {
  const body = JSON.stringify(buildInferRequest(data.metadata, { batchSize }));
  const res = http.post(`${target}${inferPath(data.model)}`, body, {
    headers,
    tags: { name: 'infer' },
  });
  const checks: Record<string, (r: typeof res) => boolean> = {};
  for (const [name, fn] of Object.entries(INFER_CHECKS)) checks[name] = (r) => fn(r.status, String(r.body));
  check(res, checks);
}

interface SummaryData {
  state?: { testRunDurationMs?: number };
  setup_data?: SetupData;
}

export function handleSummary(data: SummaryData): Record<string, string> {
  const metrics = metricsFromK6Summary(data);
  const verdict = evaluateThresholds(definition.thresholds, metrics);
  const report = buildReport({
    tool: 'k6',
    scenario: definition.name,
    description: definition.description,
    stack,
    target,
    model: data.setup_data?.model ?? __ENV.MODEL ?? null,
    sla,
    durationSec: (data.state?.testRunDurationMs ?? 0) / 1000,
    metrics,
    verdict,
    aborted: verdict.grossBreach ? 'a gross SLA breach (abortOnFail threshold) stopped the run' : null,
  });
  return k6SummaryFiles(report, data, __ENV.OUT_DIR, 'k6-summary.json');
}
