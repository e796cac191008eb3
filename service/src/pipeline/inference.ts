import type { IncomingHttpHeaders } from 'node:http';
import type { Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { InferenceEngine, InferRequest, InferResult } from '../core/engine';
import { ServiceError } from '../core/errors';
import type { ServiceMetrics } from '../observability/metrics';
import { traceIdOf, type Tracing } from '../observability/tracing';
import type { DecodedInferRequest } from '../protocol/infer-request';
import type { TrafficRouter } from '../traffic/traffic-router';
import type { CallContext, InferCallContext, RequestPipeline } from './phases';
import { composeExecution, deferredObservers } from './run';

/** Which front door answered: a bounded label value. */
export type Protocol = 'rest' | 'grpc';

export interface InferenceDeps {
  engine: InferenceEngine;
  router: Pick<TrafficRouter, 'decide'>;
  pipeline: RequestPipeline;
  metrics: ServiceMetrics;
  tracing: Tracing;
  logger: Logger;
  requestTimeoutMs: number;
}

/** An admitted, decoded request with its version and deadline chosen, ready to execute. */
export interface RoutedInference {
  readonly call: InferCallContext;
  readonly request: InferRequest;
  readonly shadowVersion?: string;
}

/** How one inference ended, for the record step; `status` is the HTTP status or its gRPC equivalent. */
export interface InferenceOutcome {
  protocol: Protocol;
  model: string;
  version?: string;
  requestId: string;
  headers: IncomingHttpHeaders;
  span: Span | undefined;
  started: number;
  status: number;
  failure?: unknown;
  request?: InferRequest;
  result?: InferResult;
}

/** Label for a model or version that does not exist: names from a request must not become label values. */
const UNKNOWN = '(unknown)';

/**
 * What an inference does after its front door decoded it, whatever the protocol: route and
 * deadline, the around and execute phases, the shadow copy; then the record and observe steps.
 * REST (http/infer-handler.ts) and gRPC (grpc/infer-rpc.ts) both call it, so admission aside every
 * phase is the same code for both.
 */
export function createInference(deps: InferenceDeps) {
  const { engine, pipeline, metrics, tracing, logger } = deps;
  const execute = composeExecution(pipeline.around, pipeline.execute);
  const observe = deferredObservers(pipeline.observe, (err) =>
    logger.error({ err }, 'an observe hook failed'),
  );

  /** Bounded labels for a failed request: only names the engine knows become label values. */
  function errorLabels(model: string, version: string | undefined, status: number): [string, string] {
    if (status === 404) return [UNKNOWN, UNKNOWN];
    try {
      engine.metadata(model, version);
      return [model, version ?? ''];
    } catch {
      return [UNKNOWN, UNKNOWN];
    }
  }

  /**
   * A fire-and-forget copy to the shadow version, after the real answer so it never delays it. Its
   * outcome is only counted: the caller never sees it, and it skips the cache and the breakers.
   */
  function shadow(model: string, version: string, request: InferRequest): void {
    engine.infer(model, version, request).then(
      () => metrics.shadowRequests.inc({ model, version, outcome: 'ok' }),
      () => metrics.shadowRequests.inc({ model, version, outcome: 'error' }),
    );
  }

  return {
    /**
     * The version for an unversioned request (A/B key, canary weight or stable, plus an optional
     * shadow), then the deadline: the `timeout` parameter, capped by REQUEST_TIMEOUT_MS and by
     * `budgetMs` (a gRPC call's own deadline).
     */
    route(
      call: CallContext & { model: string },
      decoded: DecodedInferRequest,
      budgetMs = Infinity,
    ): RoutedInference {
      const decision = deps.router.decide(call.model, call.version, call.headers);
      call.setHeader('x-model-variant', decision.variant);
      const budget = Math.min(decoded.timeoutMs ?? Infinity, deps.requestTimeoutMs, budgetMs);
      const request: InferRequest = {
        id: decoded.id,
        inputs: decoded.inputs,
        outputs: decoded.outputs?.map((o) => o.name),
        deadline: performance.now() + budget,
        timeoutMs: decoded.timeoutMs,
      };
      const inferCall: InferCallContext = { ...call, scope: 'infer', version: decision.version, decoded };
      return { call: inferCall, request, shadowVersion: decision.shadowVersion };
    },

    /** The around and execute phases, then the shadow copy. */
    async execute(routed: RoutedInference): Promise<InferResult> {
      const result = await execute({ call: routed.call, request: routed.request });
      if (routed.shadowVersion !== undefined) shadow(routed.call.model, routed.shadowVersion, routed.request);
      return result;
    },

    /** Metrics by model/version/status/protocol, a log line, the span's end; then the deferred observe phase. */
    record(o: InferenceOutcome): void {
      const { result, status, failure } = o;
      const [model, version] = result
        ? [result.modelName, result.modelVersion]
        : errorLabels(o.model, o.version, status);
      const seconds = (performance.now() - o.started) / 1000;
      metrics.requests.inc({ model, version, status: String(status), protocol: o.protocol });
      metrics.requestDuration.observe({ model, version, protocol: o.protocol }, seconds);
      tracing.end(o.span, status);
      if (status >= 400 || logger.isLevelEnabled('debug')) {
        const fields = {
          requestId: o.requestId,
          traceId: traceIdOf(o.headers.traceparent),
          protocol: o.protocol,
          model: o.model,
          status,
        };
        if (status >= 500) {
          // Overload (503) and deadlines (504) are expected under load; anything else is a fault.
          logger[failure instanceof ServiceError ? 'warn' : 'error'](
            { ...fields, err: failure },
            'inference failed',
          );
        } else if (status >= 400) {
          logger.info({ ...fields, error: (failure as Error).message }, 'inference rejected');
        } else {
          logger.debug({ ...fields, version, ms: seconds * 1000 }, 'inference');
        }
      }
      observe?.({ model: o.model, request: o.request, result, status, seconds });
    },
  };
}

export type Inference = ReturnType<typeof createInference>;
