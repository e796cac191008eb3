import * as grpc from '@grpc/grpc-js';
import { grpcJsOpenLoop, grpcOpenLoop, type GrpcOpenLoopOptions } from '../bench/grpc-open-loop';

interface ServerOptions {
  delayMs?: number;
  /** Fail every call with this status (a Trailers-Only answer). */
  code?: grpc.status;
  /** Bytes in each answer's message. */
  answerBytes?: number;
}

const METHOD = '/bench.Echo/Call';
const identity = (b: Buffer) => b;

/**
 * Runs `fn` against a real @grpc/grpc-js server on loopback whose one unary method answers after
 * `delayMs`, noting the peer each call came from, and shuts it down afterwards.
 */
async function withServer<T>(
  { delayMs = 0, code, answerBytes = 2 }: ServerOptions,
  fn: (target: string, peers: Set<string>, requests: Buffer[]) => Promise<T>,
): Promise<T> {
  const peers = new Set<string>();
  const requests: Buffer[] = [];
  const server = new grpc.Server();
  const definition = {
    Call: {
      path: METHOD,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
  server.addService(definition, {
    Call: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      peers.add(call.getPeer());
      requests.push(call.request);
      setTimeout(
        () =>
          code === undefined
            ? callback(null, Buffer.alloc(answerBytes, 7))
            : callback({ code, details: 'refused on purpose' }),
        delayMs,
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  try {
    return await fn(`127.0.0.1:${port}`, peers, requests);
  } finally {
    server.forceShutdown();
  }
}

const load = (target: string, options: Partial<GrpcOpenLoopOptions>) =>
  grpcOpenLoop({
    target,
    method: METHOD,
    request: Buffer.from('ping'),
    streams: 1,
    rate: 10,
    seconds: 0.2,
    ...options,
  });

describe('grpcOpenLoop (the gRPC bench load generator)', () => {
  it('sends rate x seconds calls with the request message, spread over every channel', async () => {
    await withServer({}, async (target, peers, requests) => {
      const r = await load(target, { streams: 8, channels: 4, rate: 200, seconds: 0.5 });
      expect(r.offered).toBe(100);
      expect(r.completed).toBe(100);
      expect(r.failures).toBe(0);
      expect(r.latenciesMs).toHaveLength(100);
      expect(peers.size).toBe(4);
      expect(requests.every((b) => b.toString() === 'ping')).toBe(true);
      expect(r.elapsedS).toBeGreaterThanOrEqual(0.49);
    });
  });

  it('counts the wait behind a slow answer in the latency instead of sending less', async () => {
    // One stream, 50 ms per answer, 100 arrivals/s: the last arrivals wait behind the first ones.
    await withServer({ delayMs: 50 }, async (target) => {
      const r = await load(target, { rate: 100, seconds: 0.3 });
      expect(r.completed).toBe(30);
      expect(Math.min(...r.latenciesMs)).toBeGreaterThanOrEqual(45);
      expect(Math.max(...r.latenciesMs)).toBeGreaterThan(1000);
    });
  });

  it('counts a call answered with an error status as a failure', async () => {
    await withServer({ code: grpc.status.NOT_FOUND }, async (target) => {
      const r = await load(target, { streams: 2, rate: 100 });
      expect(r.failures).toBe(20);
      expect(r.latenciesMs).toHaveLength(0);
    });
  });

  it('reads answers larger than HTTP/2 default 64 KiB windows without stalling', async () => {
    await withServer({ answerBytes: 200_000 }, async (target) => {
      const r = await load(target, { streams: 4, rate: 100, seconds: 0.5 });
      expect(r.failures).toBe(0);
      expect(r.latenciesMs).toHaveLength(50);
    });
  });

  it('counts calls on a connection the server refuses as failures', async () => {
    const target = await withServer({}, async (t) => t);
    const r = await load(target, { streams: 2, channels: 2, rate: 50 });
    expect(r.failures).toBe(10);
    expect(r.latenciesMs).toHaveLength(0);
  });

  it('the grpc-js client comparison: the same calls, the same accounting', async () => {
    await withServer({}, async (target, peers) => {
      const r = await grpcJsOpenLoop({
        target,
        method: METHOD,
        request: Buffer.from('ping'),
        streams: 4,
        channels: 2,
        rate: 100,
        seconds: 0.3,
      });
      expect(r.latenciesMs).toHaveLength(30);
      expect(r.failures).toBe(0);
      expect(peers.size).toBe(2);
    });
    await withServer({ code: grpc.status.UNAVAILABLE }, async (target) => {
      const r = await grpcJsOpenLoop({
        target,
        method: METHOD,
        request: Buffer.from('ping'),
        streams: 1,
        rate: 50,
        seconds: 0.2,
      });
      expect(r.failures).toBe(10);
    });
  });

  it('refuses a request that does not fit one HTTP/2 frame, and any target off loopback', async () => {
    await expect(load('127.0.0.1:1', { request: Buffer.alloc(20_000) })).rejects.toThrow(/at most 16379/);
    await expect(load('10.0.0.1:80', {})).rejects.toThrow(/loopback only/);
  });
});
