import { Metadata, status as Code, type ServerErrorResponse } from '@grpc/grpc-js';
import { ServiceError } from '../core/errors';
import { statusOf } from '../http/respond';

/**
 * The service's HTTP statuses -> gRPC codes, as Triton's gRPC front end maps its errors: a client
 * fault is INVALID_ARGUMENT, a missing model NOT_FOUND, overload UNAVAILABLE, a rate limit
 * RESOURCE_EXHAUSTED.
 */
const CODES: Record<number, Code> = {
  400: Code.INVALID_ARGUMENT,
  401: Code.UNAUTHENTICATED,
  403: Code.PERMISSION_DENIED,
  404: Code.NOT_FOUND,
  405: Code.UNIMPLEMENTED,
  408: Code.DEADLINE_EXCEEDED,
  409: Code.FAILED_PRECONDITION,
  413: Code.RESOURCE_EXHAUSTED,
  429: Code.RESOURCE_EXHAUSTED,
  499: Code.CANCELLED,
  503: Code.UNAVAILABLE,
  504: Code.DEADLINE_EXCEEDED,
};

export function grpcCodeOf(httpStatus: number): Code {
  return CODES[httpStatus] ?? (httpStatus >= 500 ? Code.INTERNAL : Code.INVALID_ARGUMENT);
}

/**
 * A thrown value -> the error a gRPC handler answers with: its code, the message (nothing for an
 * unexpected fault), and `trailers` (rate-limit and cache metadata collected so far). A retryable
 * refusal carries `retry-after` (seconds, as REST's header) and `grpc-retry-pushback-ms`, which
 * gRPC clients with a retry policy honour.
 */
export function toGrpcError(
  err: unknown,
  trailers: Metadata,
): { status: number; error: ServerErrorResponse } {
  const status = statusOf(err);
  if (err instanceof ServiceError && err.retryAfterSeconds !== undefined) {
    const seconds = Math.max(1, Math.ceil(err.retryAfterSeconds));
    trailers.set('retry-after', String(seconds));
    trailers.set('grpc-retry-pushback-ms', String(seconds * 1000));
  }
  const error: ServerErrorResponse = Object.assign(new Error(), {
    code: grpcCodeOf(status),
    details: status === 500 ? 'internal error' : (err as Error).message,
    metadata: trailers,
  });
  return { status, error };
}
