import type { IncomingMessage, ServerResponse } from 'node:http';
import { ServiceError } from '../core/errors';
import type { CallContext } from '../pipeline/phases';

/**
 * The call context /infer and /predict hand to the guards, after refusing anything but POST (405).
 * Synchronous, like the guards' `admit` in the common case. The response headers the guards add go
 * through `setHeader`: straight onto `res`, or gathered for one writeHead (pending-headers.ts).
 */
export function inferCallContext(
  req: IncomingMessage,
  res: ServerResponse,
  call: { requestId: string; model: string; version?: string },
  setHeader: (name: string, value: string) => void = (name, value) => res.setHeader(name, value),
): CallContext & { scope: 'infer'; model: string } {
  if (req.method !== 'POST') {
    setHeader('allow', 'POST');
    throw new ServiceError(405, `${req.method} is not allowed on ${req.url}; use POST`);
  }
  // Every field spelt out: V8 copies an object spread into a literal that also holds fresh
  // closures on a slow path, measured at microseconds per request (docs/benchmarks.md).
  return {
    requestId: call.requestId,
    model: call.model,
    version: call.version,
    scope: 'infer',
    headers: req.headers,
    setHeader,
    onFinish: closeListener(res),
  };
}

/**
 * Made here rather than in the literal above: tsx (which the benches run) names every function
 * written into an object literal with a defineProperty call, per request.
 */
function closeListener(res: ServerResponse): (fn: () => void) => void {
  // `on` suffices: a response emits 'close' once (see server.ts).
  return (fn) => res.on('close', fn);
}
