import type { IncomingHttpHeaders } from 'node:http';
import { Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import { requestIdFrom } from '../http/request-id';
import type { CallContext, Scope } from '../pipeline/phases';

/**
 * Request metadata as the header map the phases read (auth's `authorization` / `x-api-key`, the
 * A/B key, `traceparent`); binary (-bin) entries are not headers and are left out.
 */
export function headersOf(metadata: Metadata): IncomingHttpHeaders {
  // getMap builds a fresh object on every call: it becomes the header map once the binary entries are out.
  const headers = metadata.getMap();
  for (const key in headers) if (typeof headers[key] !== 'string') delete headers[key];
  return headers as IncomingHttpHeaders;
}

/** One gRPC call as the phases see it; what they set (RateLimit-*, x-cache...) becomes trailing metadata. */
export interface GrpcCall extends CallContext {
  readonly trailers: Metadata;
  /** Runs the onFinish callbacks: call it once the answer is sent. */
  finish(): void;
}

export function grpcCallContext<Model extends string | undefined>(
  call: ServerUnaryCall<unknown, unknown>,
  scope: Scope,
  model: Model,
  version?: string,
): GrpcCall & { readonly model: Model } {
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
