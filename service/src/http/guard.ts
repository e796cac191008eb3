import type { IncomingHttpHeaders } from 'node:http';
import type { InferRequest, InferResult } from '../core/engine';
import type { DecodedInferRequest } from '../protocol/infer-request';

/** What a request asks to do, for scope checks: inference, reading metadata, or repository admin. */
export type Scope = 'infer' | 'read' | 'admin';

export interface CallContext {
  readonly requestId: string;
  readonly scope: Scope;
  readonly headers: IncomingHttpHeaders;
  readonly model?: string;
  readonly version?: string;
  /** Adds a response header (RateLimit-*, cache status, which fallback answered...). */
  setHeader(name: string, value: string): void;
  /** Runs `fn` once when the response is finished or the connection closes (load shedding's slot release). */
  onFinish?(fn: () => void): void;
}

export interface InferCallContext extends CallContext {
  readonly scope: 'infer';
  readonly model: string;
  /** The decoded request: its `parameters` (e.g. `"cache": false`), inputs and requested outputs. */
  readonly decoded: DecodedInferRequest;
}

/**
 * The extension point for production guards (issue 3). Guards run in the order given to the
 * server; throwing a ServiceError (401, 403, 429, 503 with retryAfterSeconds) answers the request
 * with that status and `{"error": message}`.
 */
export interface Guard {
  /**
   * Before any work: before the body is read for inference, before the handler for metadata and
   * repository requests. Auth and rate limiting go here. Health, /metrics and /openapi.json are
   * never guarded.
   */
  admit?(call: CallContext): void | Promise<void>;
  /**
   * Around the engine call of an inference, after decoding: prediction cache, circuit breaker and
   * fallback chain. Call `next` to go on to the next guard and finally the engine.
   */
  execute?(
    call: InferCallContext,
    request: InferRequest,
    next: () => Promise<InferResult>,
  ): Promise<InferResult>;
}

/** Runs every guard's `admit`, staying synchronous when they all are (the common, cheap case). */
export function admitAll(guards: readonly Guard[], call: CallContext): void | Promise<void> {
  for (let i = 0; i < guards.length; i++) {
    const pending = guards[i].admit?.(call);
    if (pending) {
      return pending.then(async () => {
        for (const g of guards.slice(i + 1)) await g.admit?.(call);
      });
    }
  }
}

/** Composes the guards' `execute` around `run`, the first guard outermost. */
export function executeThrough(
  guards: readonly Guard[],
  call: InferCallContext,
  request: InferRequest,
  run: () => Promise<InferResult>,
): Promise<InferResult> {
  let next = run;
  for (let i = guards.length - 1; i >= 0; i--) {
    const g = guards[i];
    if (!g.execute) continue;
    const inner = next;
    next = () => g.execute!(call, request, inner);
  }
  return next();
}
