import { randomUUID } from 'node:crypto';
import { status as Code } from '@grpc/grpc-js';
import { OipClient } from '../../service/test/grpc-support';

/** One ModelInfer call of a load run and what became of it. */
export interface GrpcLoadResult {
  requestId: string;
  /** The gRPC status code; OK for an answer. */
  code: Code;
  details?: string;
  /** The x-request-id trailer: an answer to another call would show here. */
  echoedId?: string;
  trailers: Record<string, string>;
  ms: number;
}

export interface GrpcLoadOptions {
  /** host:port, loopback only. */
  target: string;
  count: number;
  concurrency: number;
  request: (i: number) => unknown;
  metadata?: Record<string, string>;
  pauseMs?: number;
  onResult?: (r: GrpcLoadResult, done: number) => void;
  deadlineMs?: number;
}

/**
 * The gRPC twin of load.ts's runLoad: `count` ModelInfer calls by `concurrency` workers over one
 * channel (HTTP/2 streams, as a gRPC client multiplexes), each with its own x-request-id.
 */
export async function runGrpcLoad(options: GrpcLoadOptions): Promise<GrpcLoadResult[]> {
  if (!/^(127\.0\.0\.1|\[::1\]|localhost):\d+$/.test(options.target))
    throw new Error(`load runs target loopback only, got ${options.target}`);
  const client = new OipClient(options.target);
  const results: GrpcLoadResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < options.count) {
      const i = next++;
      const requestId = randomUUID();
      const started = performance.now();
      const answer = await client.call(
        'ModelInfer',
        options.request(i),
        { ...options.metadata, 'x-request-id': requestId },
        { deadline: Date.now() + (options.deadlineMs ?? 15_000) },
      );
      const result: GrpcLoadResult = {
        requestId,
        code: answer.error?.code ?? Code.OK,
        details: answer.error?.details,
        echoedId: answer.trailers['x-request-id'],
        trailers: answer.trailers,
        ms: performance.now() - started,
      };
      results.push(result);
      options.onResult?.(result, results.length);
      if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    client.close();
  }
  return results;
}
