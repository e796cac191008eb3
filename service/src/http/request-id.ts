import { HEADERS } from '@ml-platform/contract/names';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A client's id is kept when it is short and printable (it lands in logs and headers). */
const ACCEPTABLE = /^[\w.:@/+=-]{1,128}$/;

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[HEADERS.requestId];
  return typeof given === 'string' && ACCEPTABLE.test(given) ? given : randomUUID();
}
