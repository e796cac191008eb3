/**
 * POST /v2/models/{model}/predict: records in, predictions out. The records are validated against
 * the model's features.json (400 naming the record and field), their entity features fetched in one
 * store round trip (defaults when the store is down or slow, said in `x-feature-fallback`), the
 * transforms build the input tensors, and the request then enters the /infer pipeline at step 5
 * (http/infer-handler.ts createInferPipeline): the same guards, cache, breakers and batcher.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HEADERS } from '@ml-platform/contract/names';
import type { Logger } from 'pino';
import type { InferRequest, InferResult } from '../core/engine';
import { ServiceError, badRequest } from '../core/errors';
import type { Tensor } from '../core/tensor';
import { inferCallContext } from '../http/admit-call';
import { runToPromise, type InferPipeline } from '../http/infer-handler';
import type { RequestPipeline } from '../pipeline/phases';
import { deferredObservers, runAdmit } from '../pipeline/run';
import { readBody } from '../http/read-body';
import { requestIdOf } from '../http/request-id';
import { sendError, sendJson } from '../http/respond';
import type { ServiceMetrics } from '../observability/metrics';
import { parseParameters, timeoutMsOf, type Parameters } from '../protocol/infer-request';
import { validateRecords } from './records';
import { buildTensors, type FeatureServing } from './serving';

const PREDICT_PATH = /^\/v2\/models\/([^/?]+)\/predict(?:\?.*)?$/;

export function matchPredictRoute(url: string | undefined): { model: string } | undefined {
  const m = url ? PREDICT_PATH.exec(url) : null;
  if (!m) return undefined;
  try {
    return { model: decodeURIComponent(m[1]) };
  } catch {
    return undefined;
  }
}

export interface PredictHandlerDeps {
  features: FeatureServing;
  /** The request phases: /predict runs their admit and observe hooks itself. */
  pipeline: RequestPipeline;
  /** /infer's steps 5 and 6 (http/infer-handler.ts createInferPipeline). */
  inference: InferPipeline;
  metrics: ServiceMetrics;
  logger: Logger;
  maxBodyBytes: number;
  /** Bounds reading the body (408), as for /infer. */
  requestTimeoutMs: number;
}

/** Header set when entity features fell back to their defaults because the store did not answer. */
export const FALLBACK_HEADER = HEADERS.featureFallback;

function parseBody(body: Buffer): { records: unknown; parameters: Parameters; returnFeatures: boolean } {
  let root: unknown;
  try {
    root = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw badRequest(`request body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw badRequest('request body must be a JSON object with a "records" array');
  }
  const { records, parameters } = root as { records?: unknown; parameters?: unknown };
  const params = { ...parseParameters(parameters) };
  const returnFeatures = params.return_features ?? false;
  if (typeof returnFeatures !== 'boolean') throw badRequest('parameters.return_features must be a boolean');
  delete params.return_features;
  return { records, parameters: params, returnFeatures };
}

/** Row `i` of an output: a scalar when the output has one element per record, else an array. */
function rowOf(t: Tensor, i: number, rows: number): number | number[] {
  const per = t.data.length / rows;
  const values: number[] = [];
  for (let j = i * per; j < (i + 1) * per; j++) values.push(Number(t.data[j]));
  return per === 1 ? values[0] : values;
}

export function predictions(result: InferResult, rows: number, features?: Tensor[]) {
  return Array.from({ length: rows }, (_, i) => {
    const out: Record<string, unknown> = {};
    for (const t of result.outputs) out[t.name] = rowOf(t, i, rows);
    if (features) out.features = Object.fromEntries(features.map((f) => [f.name, rowOf(f, i, rows)]));
    return out;
  });
}

export function createPredictHandler(deps: PredictHandlerDeps) {
  const { features, pipeline, metrics, logger } = deps;
  const observe = deferredObservers(pipeline.observe, (err) =>
    logger.error({ err }, 'an observe hook failed'),
  );
  return async function handlePredict(
    req: IncomingMessage,
    res: ServerResponse,
    model: string,
  ): Promise<void> {
    const started = performance.now();
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    let status = 500;
    let request: InferRequest | undefined;
    let result: InferResult | undefined;
    try {
      const call = inferCallContext(req, res, { requestId, model });
      const admitted = runAdmit(pipeline.admit, call);
      if (admitted) await admitted;
      const body = parseBody(await readBody(req, deps.maxBodyBytes, deps.requestTimeoutMs));
      const compiled = features.spec(model);
      const records = validateRecords(compiled.spec, body.records, compiled.maxRecords);
      const vectors = await features.vectors(model, compiled, records);
      if (vectors.degraded) res.setHeader(FALLBACK_HEADER, 'defaults');
      const inputs = buildTensors(compiled, vectors.rows);
      const prepared = deps.inference(call, compiled.spec.model_version, {
        parameters: body.parameters,
        inputs,
        binaryOutputs: false,
        timeoutMs: timeoutMsOf(body.parameters),
      });
      request = prepared.request;
      result = await runToPromise(prepared);
      sendJson(res, 200, {
        model_name: result.modelName,
        model_version: result.modelVersion,
        predictions: predictions(result, records.length, body.returnFeatures ? inputs : undefined),
      });
      status = 200;
    } catch (err) {
      status = sendError(res, err);
      if (status >= 500 && !(err instanceof ServiceError))
        logger.error({ requestId, model, err }, 'predict failed');
    }
    // Only models with a loaded spec become label values: names from the URL are unbounded.
    const labels = features.known(model)
      ? { model, version: result?.modelVersion ?? '' }
      : { model: '(unknown)', version: '' };
    const seconds = (performance.now() - started) / 1000;
    metrics.requests.inc({ ...labels, status: String(status) });
    metrics.requestDuration.observe(labels, seconds);
    observe?.({ model, request, result, status, seconds });
  };
}
