import * as grpc from '@grpc/grpc-js';
import { serveFastUnary, timeoutMs, type UnaryCall, type UnaryReply } from '../src/grpc/fast-unary';

const identity = (b: Buffer) => b;
const method = (path: string) => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});
const FAST = '/t.S/Fast';
const OTHER = '/t.S/Other';
const definition = { Fast: method(FAST), Other: method(OTHER) };

interface Seen {
  fast: UnaryCall<Buffer>[];
  /** Calls of FAST that grpc-js's own handler received. */
  grpcJs: number;
}

type Handle = (call: UnaryCall<Buffer>, reply: UnaryReply<Buffer>) => void;
const echo: Handle = (call, reply) => {
  const trailers = new grpc.Metadata();
  trailers.set('x-seen', 'yes');
  reply(null, Buffer.concat([Buffer.from('echo:'), call.request]), trailers);
};

/** A real grpc-js server on loopback with FAST on the fast path and OTHER on grpc-js, and a client. */
async function withServer(
  handle: Handle,
  fn: (client: grpc.Client, seen: Seen, installed: boolean) => Promise<void>,
  clientOptions: grpc.ChannelOptions = {},
): Promise<void> {
  const seen: Seen = { fast: [], grpcJs: 0 };
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 1024 });
  server.addService(definition, {
    Fast: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      seen.grpcJs++;
      cb(null, Buffer.from('from grpc-js'));
    },
    Other: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
      cb(null, Buffer.concat([Buffer.from('other:'), call.request])),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const installed = serveFastUnary(server, {
    path: FAST,
    deserialize: identity,
    serialize: identity,
    maxReceiveBytes: 1024,
    handle: (call, reply) => {
      seen.fast.push(call);
      handle(call, reply);
    },
  });
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), clientOptions);
  try {
    await fn(client, seen, installed);
  } finally {
    client.close();
    server.forceShutdown();
  }
}

interface Outcome {
  value?: Buffer;
  error?: grpc.ServiceError;
  trailers: Record<string, unknown>;
}

function call(
  client: grpc.Client,
  path: string,
  request: Buffer,
  metadata: Record<string, string | Buffer> = {},
  options: grpc.CallOptions = {},
): Promise<Outcome> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolve) => {
    let trailers: Record<string, unknown> = {};
    const c = client.makeUnaryRequest(path, identity, identity, request, md, options, (error, value) =>
      setImmediate(() => resolve({ value, error: error ?? undefined, trailers })),
    );
    c.on('status', (s: grpc.StatusObject) => (trailers = s.metadata.getMap()));
  });
}

describe('serveFastUnary', () => {
  it('answers the method itself, with its trailers; other methods stay with grpc-js', async () => {
    await withServer(echo, async (client, seen, installed) => {
      expect(installed).toBe(true);
      const r = await call(client, FAST, Buffer.from('hi'), {
        authorization: 'Bearer k',
        'trace-bin': Buffer.from([1]),
      });
      expect(r.error).toBeUndefined();
      expect(r.value?.toString()).toBe('echo:hi');
      expect(r.trailers['x-seen']).toBe('yes');
      expect(seen.fast).toHaveLength(1);
      expect(seen.grpcJs).toBe(0);
      // The caller's metadata as headers: no pseudo-headers, transport fields or binary entries.
      const headers = seen.fast[0].headers;
      expect(headers.authorization).toBe('Bearer k');
      expect(
        Object.keys(headers).filter((k) => k.startsWith(':') || k.endsWith('-bin') || k === 'te'),
      ).toEqual([]);
      expect(headers['content-type']).toBeUndefined();
      expect(seen.fast[0].deadline).toBe(Infinity);
      expect((await call(client, OTHER, Buffer.from('x'))).value?.toString()).toBe('other:x');
    });
  });

  it('leaves a compressed call to grpc-js, which decompresses it', async () => {
    await withServer(
      echo,
      async (client, seen) => {
        const r = await call(client, FAST, Buffer.alloc(200, 97));
        expect(r.value?.toString()).toBe('from grpc-js');
        expect(seen.grpcJs).toBe(1);
        expect(seen.fast).toHaveLength(0);
      },
      { 'grpc.default_compression_algorithm': 2 /* gzip */ },
    );
  });

  it('an error reply: its code, message and trailing metadata, as Trailers-Only', async () => {
    const refuse: Handle = (_call, reply) => {
      const trailers = new grpc.Metadata();
      trailers.set('retry-after', '3');
      reply(
        Object.assign(new Error(), {
          code: grpc.status.UNAVAILABLE,
          details: 'busy, 100% full',
          metadata: trailers,
        }),
      );
    };
    await withServer(refuse, async (client) => {
      const r = await call(client, FAST, Buffer.from('x'));
      expect(r.error?.code).toBe(grpc.status.UNAVAILABLE);
      expect(r.error?.details).toBe('busy, 100% full');
      expect(r.trailers['retry-after']).toBe('3');
    });
  });

  it('DEADLINE_EXCEEDED when the deadline passes first; the call reads cancelled and a late reply is dropped', async () => {
    let late: (() => void) | undefined;
    const slow: Handle = (_call, reply) => {
      late = () => reply(null, Buffer.from('late'));
    };
    await withServer(slow, async (client, seen) => {
      const before = Date.now();
      const r = await call(client, FAST, Buffer.from('x'), {}, { deadline: Date.now() + 200 });
      expect(r.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(seen.fast[0].deadline).toBeGreaterThanOrEqual(before + 100);
      expect(seen.fast[0].deadline).toBeLessThanOrEqual(Date.now() + 50);
      expect(seen.fast[0].cancelled).toBe(true);
      late!(); // must not throw on a finished stream
      expect((await call(client, OTHER, Buffer.from('y'))).value?.toString()).toBe('other:y');
    });
  });

  it('a caller that cancels: the call reads cancelled', async () => {
    const never: Handle = () => undefined;
    await withServer(never, async (client, seen) => {
      const c = client.makeUnaryRequest(FAST, identity, identity, Buffer.from('x'), () => undefined);
      while (seen.fast.length === 0) await new Promise((r) => setTimeout(r, 10));
      expect(seen.fast[0].cancelled).toBe(false);
      c.cancel();
      const until = Date.now() + 2000;
      while (!seen.fast[0].cancelled && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(seen.fast[0].cancelled).toBe(true);
    });
  });

  it('RESOURCE_EXHAUSTED for a message over the receive limit, and the server keeps serving', async () => {
    await withServer(echo, async (client, seen) => {
      const r = await call(client, FAST, Buffer.alloc(5000));
      expect(r.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(r.error?.details).toMatch(/larger than max \(5000 vs\. 1024\)/);
      expect(seen.fast).toHaveLength(0);
      expect((await call(client, FAST, Buffer.from('ok'))).value?.toString()).toBe('echo:ok');
    });
  });

  it('changes nothing on a server that is not bound', () => {
    const server = new grpc.Server();
    expect(
      serveFastUnary(server, {
        path: FAST,
        deserialize: identity,
        serialize: identity,
        maxReceiveBytes: 1,
        handle: echo,
      }),
    ).toBe(false);
  });

  it('reads grpc-timeout in each unit, and refuses a malformed one', () => {
    expect(timeoutMs('250m')).toBe(250);
    expect(timeoutMs('2S')).toBe(2000);
    expect(timeoutMs('1M')).toBe(60_000);
    expect(timeoutMs('1H')).toBe(3_600_000);
    expect(timeoutMs('1500u')).toBe(1.5);
    expect(timeoutMs('1000000n')).toBe(1);
    expect(timeoutMs('123456789m')).toBeUndefined();
    expect(timeoutMs('5x')).toBeUndefined();
  });
});
