/**
 * Every failure the service answers with carries its HTTP status, so that the edge only has to
 * render `{"error": message}`. Messages name the offending field and what was expected; they never
 * contain secrets.
 */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Seconds, sent as Retry-After on 429/503. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export const badRequest = (message: string) => new ServiceError(400, message);
export const notFound = (message: string) => new ServiceError(404, message);
export const requestTimeout = (message: string) => new ServiceError(408, message);
/** nginx's 499: the client went away before its answer; not the server's fault, never a 5xx. */
export const clientClosedRequest = (message: string) => new ServiceError(499, message);
export const payloadTooLarge = (message: string) => new ServiceError(413, message);
export const unavailable = (message: string, retryAfterSeconds = 1) =>
  new ServiceError(503, message, retryAfterSeconds);
export const deadlineExceeded = (message: string) => new ServiceError(504, message);
