import type { IncomingHttpHeaders } from 'node:http';
import { Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import { requestIdFrom } from '../http/request-id';
import type { CallContext, Scope } from '../pipeline/phases';

/**
 * Request metadata as the header map the phases read (auth's `authorization` / `x-api-key`, the
 * A/B key, `traceparent`); binary (-bin) entries are not headers and are left out.
 */
export function headersOf(metadata: Metadata): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const [key, value] of Object.entries(metadata.getMap())) {
    if (typeof value === 'string') headers[key] = value;
  }
  return headers;
}

/** One gRPC call as the phases see it; what they set (RateLimit-*, x-cache...) becomes trailing metadata. */
export interface GrpcCall extends CallContext {
  readonly trailers: Metadata;
  /** Runs the onFinish callbacks: call it once the answer is sent. */
  finish(): void;
}

export function grpcCallContext(
  call: ServerUnaryCall<unknown, unknown>,
  scope: Scope,
  model?: string,
  version?: string,
): GrpcCall {
  const headers = headersOf(call.metadata);
  const requestId = requestIdFrom(headers['x-request-id']);
  const trailers = new Metadata();
  trailers.set('x-request-id', requestId);
  const finishers: (() => void)[] = [];
  return {
    requestId,
    scope,
    headers,
    model,
    version,
    trailers,
    setHeader: (name, value) => trailers.set(name, value),
    onFinish: (fn) => finishers.push(fn),
    finish: () => {
      for (const fn of finishers.splice(0)) fn();
    },
  };
}
