/**
 * POST /v2/models/{model}[/versions/{version}]/infer: the hot path, served on raw node:http (see
 * server.ts for why). One request goes through these steps, in this order; the phases
 * (pipeline/phases.ts) are wired in request-pipeline.ts:
 *
 *   1. context   request id (x-request-id in, or generated; echoed back), trace span from traceparent
 *   2. admit     phase: load shedding, auth, then rate limit
 *   3. read      the body, at most MAX_BODY_BYTES (413)
 *   4. decode    OIP JSON or the binary tensor extension (400 naming the field)
 *   5. route     the version for an unversioned URL: A/B key, canary weight or stable (traffic/),
 *                plus an optional shadow copy; then the deadline: the `timeout` parameter, capped
 *                by REQUEST_TIMEOUT_MS
 *   6. around    phase: fallback chain, cache, breaker, then the execute phase: the engine validates
 *      execute   the inputs against the model signature (400), queues on the version's batcher
 *                (503 full, 504 deadline) and runs
 *   7. encode    JSON, or binary when any output asks for it
 *   8. record    metrics by model/version/status, a log line, the span's end
 *   9. observe   phase: deferred past the written response (drift)
 *
 * Steps 5, 6, 8 and 9 are pipeline/inference.ts, shared with the gRPC front door (grpc/).
 * New steps belong in a phase hook, not in this function.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InferRequest, InferResult } from '../core/engine';
import { ServiceError, badRequest } from '../core/errors';
import { decodeInferRequest } from '../protocol/infer-request';
import { encodeInferResponse } from '../protocol/infer-response';
import { createInference, type InferenceDeps } from '../pipeline/inference';
import { runAdmit } from '../pipeline/run';
import { readBody } from './read-body';
import { requestIdOf } from './request-id';
import { sendError } from './respond';

export interface InferHandlerDeps extends InferenceDeps {
  maxBodyBytes: number;
}

const INFER_PATH = /^\/v2\/models\/([^/?]+)(?:\/versions\/([^/?]+))?\/infer(?:\?.*)?$/;

export interface InferRoute {
  model: string;
  version?: string;
}

/** The fast path's only routing decision: a regex on the URL, no router. */
export function matchInferRoute(url: string | undefined): InferRoute | undefined {
  const m = url ? INFER_PATH.exec(url) : null;
  if (!m) return undefined;
  try {
    return {
      model: decodeURIComponent(m[1]),
      version: m[2] === undefined ? undefined : decodeURIComponent(m[2]),
    };
  } catch {
    return undefined;
  }
}

function headerLengthOf(req: IncomingMessage): number | undefined {
  const h = req.headers['inference-header-content-length'];
  if (h === undefined) return undefined;
  if (typeof h !== 'string' || !/^\d{1,15}$/.test(h)) {
    throw badRequest(
      `Inference-Header-Content-Length must be a non-negative integer, got ${JSON.stringify(h)}`,
    );
  }
  return Number(h);
}

export function createInferHandler(deps: InferHandlerDeps) {
  const { pipeline, tracing } = deps;
  const inference = createInference(deps);

  return async function handleInfer(
    req: IncomingMessage,
    res: ServerResponse,
    route: InferRoute,
  ): Promise<void> {
    // 1. context
    const started = performance.now();
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const span = tracing.startSpan('POST /v2/models/{model}/infer', req.headers, {
      'http.request.method': 'POST',
      'inference.model': route.model,
    });
    let status = 500;
    let request: InferRequest | undefined;
    let result: InferResult | undefined;
    let failure: unknown;
    try {
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        throw new ServiceError(405, `${req.method} is not allowed on ${req.url}; use POST`);
      }
      const call = {
        requestId,
        scope: 'infer' as const,
        headers: req.headers,
        model: route.model,
        version: route.version,
        setHeader: (name: string, value: string) => res.setHeader(name, value),
        onFinish: (fn: () => void) => res.once('close', fn),
      };
      // 2. admit
      const admitted = runAdmit(pipeline.admit, call);
      if (admitted) await admitted;
      // 3. read
      const headerLength = headerLengthOf(req);
      const body = await readBody(req, deps.maxBodyBytes);
      // 4. decode
      const decoded = decodeInferRequest(body, headerLength);
      // 5. route, deadline
      const routed = inference.route(call, decoded);
      request = routed.request;
      // 6. around, execute
      result = await inference.execute(routed);
      // 7. encode
      const encoded = encodeInferResponse(decoded, result);
      res.writeHead(
        200,
        encoded.headerLength === undefined
          ? { 'content-type': encoded.contentType, 'content-length': encoded.body.length }
          : {
              'content-type': encoded.contentType,
              'content-length': encoded.body.length,
              'inference-header-content-length': encoded.headerLength,
            },
      );
      res.end(encoded.body);
      status = 200;
    } catch (err) {
      failure = err;
      status = sendError(res, err);
    }
    // 8. record, 9. observe
    inference.record({
      protocol: 'rest',
      model: route.model,
      version: route.version,
      requestId,
      headers: req.headers,
      span,
      started,
      status,
      failure,
      request,
      result,
    });
  };
}
