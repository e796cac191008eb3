import type * as grpc from '@grpc/grpc-js';
import { status as Code, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';

/** What a health check names: '' or the inference service ask for readiness, `liveness` for liveness. */
export const INFERENCE_SERVICE = 'inference.GRPCInferenceService';
export const LIVENESS_SERVICE = 'liveness';

type Serving = 'SERVING' | 'NOT_SERVING';

/** How often Watch re-reads readiness to push a change. */
const WATCH_POLL_MS = 1000;

/**
 * grpc.health.v1.Health, what Kubernetes gRPC probes call: readiness follows the REST
 * /v2/health/ready answer (engine loaded, not draining), liveness is the process answering.
 * `close` ends open Watch streams, so that a draining server's connections can close.
 */
export function healthService(isReady: () => boolean): {
  implementation: UntypedServiceImplementation;
  close(): void;
} {
  const watchers = new Set<() => void>();
  const statusOf = (service: string | undefined): Serving | undefined => {
    if (service === LIVENESS_SERVICE) return 'SERVING';
    if (!service || service === INFERENCE_SERVICE) return isReady() ? 'SERVING' : 'NOT_SERVING';
    return undefined;
  };
  const unknown = (service: string) => ({
    code: Code.NOT_FOUND,
    details: `unknown service '${service}'; ask for '', '${INFERENCE_SERVICE}' or '${LIVENESS_SERVICE}'`,
  });
  return {
    implementation: {
      Check: (call: { request: { service?: string } }, callback: grpc.sendUnaryData<unknown>) => {
        const status = statusOf(call.request.service);
        if (status) callback(null, { status });
        else callback(unknown(call.request.service ?? ''));
      },
      Watch: (call: ServerWritableStream<{ service?: string }, unknown>) => {
        const service = call.request.service;
        let last: Serving | undefined;
        const push = () => {
          // An unknown service may appear later, as the protocol says: report SERVICE_UNKNOWN meanwhile.
          const status = statusOf(service) ?? 'SERVICE_UNKNOWN';
          if (status !== last) call.write({ status });
          last = status as Serving;
        };
        push();
        const timer = setInterval(push, WATCH_POLL_MS);
        const stop = () => {
          clearInterval(timer);
          watchers.delete(stop);
          call.end();
        };
        watchers.add(stop);
        call.on('cancelled', stop);
      },
    },
    close: () => {
      for (const stop of [...watchers]) stop();
    },
  };
}
