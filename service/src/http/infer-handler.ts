/**
 * POST /v2/models/{model}[/versions/{version}]/infer: the hot path, served on raw node:http (see
 * server.ts for why). One request goes through these steps, in this order; the phases
 * (pipeline/phases.ts) are wired in request-pipeline.ts:
 *
 *   1. context   request id (x-request-id in, or generated; echoed back), trace span from traceparent
 *   2. admit     phase: load shedding, auth, then rate limit
 *   3. read      the body, at most MAX_BODY_BYTES (413) within REQUEST_TIMEOUT_MS (408); a client
 *                that goes away is counted as 499, never as a server error
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
 * Steps 5 and 6 (createInferPipeline) and 8 and 9 (pipeline/inference.ts) are shared with the gRPC
 * front door (grpc/server.ts). Steps 7 to 9 run when the inference settles, in infer-exchange.ts.
 * New steps belong in a phase hook, not in this function.
 */
import { HEADERS } from '@ml-platform/contract/names';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InferRequest, InferResult } from '../core/engine';
import { badRequest } from '../core/errors';
import type { Settle } from '../core/settle';
import type { RouteDecision } from '../traffic/router';
import { decodeInferRequest, type DecodedInferRequest } from '../protocol/infer-request';
import { createInferenceRecorder, type InferenceDeps } from '../pipeline/inference';
import type { CallContext, Execution, InferCallContext, ServingVersion } from '../pipeline/phases';
import { composeExecution, runAdmit } from '../pipeline/run';
import { inferCallContext } from './admit-call';
import { InferExchange, type ExchangeSteps } from './infer-exchange';
import { readBodyChunks } from './read-body';
import { releaseBody } from './release-buffers';

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
    return { model: decoded(m[1]), version: m[2] === undefined ? undefined : decoded(m[2]) };
  } catch {
    return undefined;
  }
}

/** A path segment without `%` decodes to itself: most names skip decodeURIComponent. */
const decoded = (segment: string) => (segment.includes('%') ? decodeURIComponent(segment) : segment);

function headerLengthOf(req: IncomingMessage): number | undefined {
  const h = req.headers[HEADERS.inferenceHeaderContentLength];
  if (h === undefined) return undefined;
  if (typeof h !== 'string' || !/^\d{1,15}$/.test(h)) {
    throw badRequest(
      `Inference-Header-Content-Length must be a non-negative integer, got ${JSON.stringify(h)}`,
    );
  }
  return Number(h);
}

/**
 * A decoded request's steps 5 and 6: `request` is routed and has its deadline (the observe hooks
 * get it, answered or not); `run` goes through the around hooks to the executor and reports the
 * outcome to `settle` (core/settle.ts). `runToPromise` is its promise form.
 */
export interface PreparedInference {
  readonly request: InferRequest;
  readonly decision: RouteDecision;
  run(settle: Settle<InferResult>): void;
}

export type InferPipeline = (
  call: CallContext & { model: string },
  version: string | undefined,
  decoded: DecodedInferRequest,
  /** A cap on the deadline besides the `timeout` parameter and REQUEST_TIMEOUT_MS (a gRPC call's own). */
  budgetMs?: number,
) => PreparedInference;

/** A prepared inference's outcome as a promise, for the doors that await it (gRPC, /predict). */
export function runToPromise(prepared: PreparedInference): Promise<InferResult> {
  return new Promise((resolve, reject) => prepared.run({ resolve, reject }));
}

/**
 * Steps 5 and 6 for a decoded request: route, deadline, the around hooks and the executor, and the
 * shadow copy. POST /predict (features/predict-handler.ts) enters here with the tensors it built
 * from records, so it shares the cache, breakers, fallback and batcher with /infer.
 */
export function createInferPipeline(
  deps: Pick<
    InferHandlerDeps,
    'engine' | 'router' | 'pipeline' | 'metrics' | 'requestTimeoutMs' | 'shadowAgreement'
  >,
): InferPipeline {
  const { engine, metrics } = deps;
  const execute = composeExecution(deps.pipeline.around, deps.pipeline.execute);
  const agreement = deps.shadowAgreement;

  /**
   * A fire-and-forget copy to the shadow version, in the check phase after the real answer was
   * written, so it never delays it. Its outcome is only counted and compared with the primary's: the
   * caller never sees it, and it skips the cache and the breakers.
   */
  function shadow(model: string, version: string, request: InferRequest, primary: InferResult): void {
    setImmediate(() =>
      engine.infer(model, version, request).then(
        (answer) => {
          metrics.shadowRequests.inc({ model, version, outcome: 'ok' });
          agreement.record(model, primary, answer);
        },
        () => metrics.shadowRequests.inc({ model, version, outcome: 'error' }),
      ),
    );
  }

  /** The around hooks and the executor, and the shadow copy once the primary has answered. */
  function run(exec: Execution, shadowVersion: string | undefined, settle: Settle<InferResult>): void {
    if (shadowVersion === undefined) return execute(exec, settle);
    const { model } = exec.call;
    execute(exec, {
      resolve: (result) => {
        shadow(model, shadowVersion, exec.request, result);
        settle.resolve(result);
      },
      reject: (err) => settle.reject(err),
    });
  }

  return (call, version, decoded, budgetMs = Infinity) => {
    // 5. route, deadline
    const decision = deps.router.decide(call.model, version, call.headers);
    call.setHeader(HEADERS.modelVariant, decision.variant);
    const budget = Math.min(decoded.timeoutMs ?? Infinity, deps.requestTimeoutMs, budgetMs);
    const request: InferRequest = {
      id: decoded.id,
      inputs: decoded.inputs,
      outputs: decoded.outputs?.map((o) => o.name),
      deadline: performance.now() + budget,
      timeoutMs: decoded.timeoutMs,
    };
    // 6. around, execute
    // Spelt out rather than spread: a spread of an object holding closures is V8's slow path
    // (admit-call.ts).
    const inferCall: InferCallContext = {
      requestId: call.requestId,
      scope: 'infer',
      headers: call.headers,
      model: call.model,
      version: decision.version,
      decoded,
      setHeader: call.setHeader,
      onFinish: call.onFinish,
    };
    return new Prepared(request, decision, inferCall, run);
  };
}

/**
 * A class rather than a literal with a `run` closure, and the execution the around hooks get
 * itself: one object per request where there were two.
 */
class Prepared implements PreparedInference, Execution {
  serving?: ServingVersion = undefined;

  constructor(
    readonly request: InferRequest,
    readonly decision: RouteDecision,
    readonly call: InferCallContext,
    private readonly start: (
      exec: Execution,
      shadowVersion: string | undefined,
      settle: Settle<InferResult>,
    ) => void,
  ) {}

  run(settle: Settle<InferResult>): void {
    this.start(this, this.decision.shadowVersion, settle);
  }
}

export function createInferHandler(deps: InferHandlerDeps) {
  const { engine, pipeline, tracing } = deps;
  const prepare = createInferPipeline(deps);
  const steps: ExchangeSteps = {
    record: createInferenceRecorder(deps),
    outputClasses: (model, output) => engine.outputClasses(model, output),
  };

  return async function handleInfer(
    req: IncomingMessage,
    res: ServerResponse,
    route: InferRoute,
  ): Promise<void> {
    // 1. context
    const exchange = new InferExchange(req, res, route.model, route.version, steps);
    exchange.span = tracing.startSpan('POST /v2/models/{model}/infer', req.headers, {
      'http.request.method': 'POST',
      'inference.model': route.model,
    });
    try {
      const { requestId, answerHeaders } = exchange;
      const call = inferCallContext(
        req,
        res,
        { requestId, model: route.model, version: route.version },
        (name, value) => answerHeaders.set(name, value),
      );
      // 2. admit
      const admitted = runAdmit(pipeline.admit, call);
      if (admitted) await admitted;
      // 3. read
      const headerLength = headerLengthOf(req);
      const body = await readBodyChunks(req, deps.maxBodyBytes, deps.requestTimeoutMs);
      // 4. decode
      const decoded = decodeInferRequest(body, headerLength);
      releaseBody(body, decoded.inputs);
      exchange.decoded = decoded;
      // 5-6. route, deadline, around, execute; the exchange then answers (7), records (8) and
      // observes (9)
      const prepared = prepare(call, route.version, decoded);
      exchange.request = prepared.request;
      exchange.route = prepared.decision;
      prepared.run(exchange);
    } catch (err) {
      exchange.reject(err);
    }
  };
}
