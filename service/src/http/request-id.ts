import { HEADERS } from '@ml-platform/contract/names';
import type { IncomingMessage } from 'node:http';
import { randomUuid } from './random-uuid';

/** A client's id is kept when it is short and printable (it lands in logs and headers). */
const ACCEPTABLE = /^[\w.:@/+=-]{1,128}$/;

/** The client's `x-request-id` when acceptable, else a fresh one (REST header or gRPC metadata). */
export function requestIdFrom(given: string | string[] | undefined): string {
  return typeof given === 'string' && ACCEPTABLE.test(given) ? given : randomUuid();
}

export function requestIdOf(req: IncomingMessage): string {
  return requestIdFrom(req.headers[HEADERS.requestId]);
}
