import type { IncomingHttpHeaders } from 'node:http';
import type { Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { InferenceEngine, InferRequest, InferResult } from '../core/engine';
import { ServiceError } from '../core/errors';
import type { ServiceMetrics } from '../observability/metrics';
import { traceIdOf, type Tracing } from '../observability/tracing';
import type { RouteDecision } from '../traffic/router';
import type { ShadowAgreement } from '../traffic/shadow-agreement';
import type { TrafficRouter } from '../traffic/traffic-router';
import type { RequestPipeline } from './phases';
import { deferredObservers } from './run';

/** Which front door answered: a bounded label value. */
export type Protocol = 'rest' | 'grpc';

/** What an inference needs whichever door it came in by (REST's infer-handler.ts, grpc/server.ts). */
export interface InferenceDeps {
  engine: InferenceEngine;
  router: Pick<TrafficRouter, 'decide'>;
  pipeline: RequestPipeline;
  metrics: ServiceMetrics;
  tracing: Tracing;
  logger: Logger;
  requestTimeoutMs: number;
  /** One per process: every door's shadow copies count into it, and the rollout controller reads it. */
  shadowAgreement: ShadowAgreement;
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
  /** The routing decision, once the request got that far. */
  route?: RouteDecision;
  /** Which fallback answered (the x-served-by the hooks set), if one did. */
  servedBy?: string;
  /**
   * Set by the recorder, which then hands this object itself to the observe hooks as their
   * Observation: a copy of it was one more object per request (docs/benchmarks.md).
   */
  seconds: number;
}

/** A rejection's reason for the log; a door that records a 4xx without an Error must not crash the record step. */
function messageOf(failure: unknown): string {
  if (failure instanceof Error) return failure.message;
  return failure === undefined ? 'no reason recorded' : String(failure);
}

/** Label for a model or version that does not exist: names from a request must not become label values. */
const UNKNOWN = '(unknown)';

/**
 * Steps 8 and 9 of an inference, the same for both doors: metrics by model, version, status and
 * protocol, a log line and the span's end; then the deferred observe phase. (Steps 5 and 6 are
 * http/infer-handler.ts's createInferPipeline, which gRPC calls as well.)
 */
export function createInferenceRecorder(
  deps: Pick<InferenceDeps, 'engine' | 'metrics' | 'tracing' | 'logger'> & {
    pipeline: Pick<RequestPipeline, 'observe'>;
  },
): (outcome: InferenceOutcome) => void {
  const { engine, metrics, tracing, logger } = deps;
  const observe = deferredObservers(deps.pipeline.observe, (err) =>
    logger.error({ err }, 'an observe hook failed'),
  );

  /**
   * Bounded labels for a failed request: only names the repository holds (loaded or not) become
   * label values; an unversioned request has no version yet.
   */
  function errorLabels(model: string, version: string | undefined): [string, string] {
    if (!engine.inRepository(model)) return [UNKNOWN, UNKNOWN];
    if (version === undefined) return [model, ''];
    return [model, engine.inRepository(model, version) ? version : UNKNOWN];
  }

  return (o) => {
    const { result, status, failure } = o;
    const [model, version] = result
      ? [result.modelName, result.modelVersion]
      : errorLabels(o.model, o.version);
    const seconds = (performance.now() - o.started) / 1000;
    metrics.byVersion.get(model, version).answered(o.protocol, status, seconds);
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
        logger.info({ ...fields, error: messageOf(failure) }, 'inference rejected');
      } else {
        logger.debug({ ...fields, version, ms: seconds * 1000 }, 'inference');
      }
    }
    if (observe) {
      o.seconds = seconds;
      observe(o);
    }
  };
}
