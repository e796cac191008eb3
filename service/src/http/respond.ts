import { HEADERS } from '@ml-platform/contract/names';
import type { ServerResponse } from 'node:http';
import { ServiceError } from '../core/errors';

/** Writes a JSON body with an exact Content-Length (no chunked encoding on the hot path). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': payload.length });
  res.end(payload);
}

/** Any thrown value -> its HTTP status; unknown errors are 500 with a message that leaks nothing. */
export function statusOf(err: unknown): number {
  if (err instanceof ServiceError) return err.status;
  const s =
    (err as { status?: unknown; statusCode?: unknown } | null)?.status ??
    (err as { statusCode?: unknown })?.statusCode;
  // Body parsers (Express) tag their client errors with a status; anything else is our fault.
  return typeof s === 'number' && s >= 400 && s < 500 ? s : 500;
}

/** `{"error": message}` with the error's status, plus Retry-After for 429/503. */
export function sendError(res: ServerResponse, err: unknown): number {
  const status = statusOf(err);
  // Nobody is left to answer when the client went away.
  if (res.headersSent || status === 499) {
    res.destroy();
    return status;
  }
  // The rest of an oversized or stalled body is not worth reading: answer, then drop the connection.
  if (status === 413 || status === 408) res.setHeader('connection', 'close');
  if (err instanceof ServiceError && err.retryAfterSeconds !== undefined) {
    res.setHeader(HEADERS.retryAfter, String(Math.max(1, Math.ceil(err.retryAfterSeconds))));
  }
  const message = status === 500 ? 'internal error' : (err as Error).message;
  sendJson(res, status, { error: message });
  return status;
}
