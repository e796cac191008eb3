import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type http2 from 'node:http2';
import { status as Code, type Metadata, type Server, type ServerErrorResponse } from '@grpc/grpc-js';

/** A unary call as a handler sees it, whether grpc-js or the fast path below received it. */
export interface UnaryCall<Req> {
  readonly request: Req;
  /** The request metadata as headers: no pseudo-headers, no binary (-bin) entries, no transport fields. */
  readonly headers: IncomingHttpHeaders;
  /** When the caller's deadline passes, in Date.now() milliseconds; Infinity without one. */
  readonly deadline: number;
  /** True once the caller cancelled, its deadline passed or the connection closed: nothing more reaches it. */
  readonly cancelled: boolean;
}

export type UnaryReply<Res> = (error: ServerErrorResponse | null, value?: Res, trailers?: Metadata) => void;

export interface FastUnaryMethod<Req, Res> {
  /** /package.Service/Method */
  path: string;
  deserialize(bytes: Buffer): Req;
  serialize(value: Res): Buffer;
  /** grpc.max_receive_message_length: RESOURCE_EXHAUSTED above it, as grpc-js answers. */
  maxReceiveBytes: number;
  handle(call: UnaryCall<Req>, reply: UnaryReply<Res>): void;
}

/** Metadata grpc-js keeps from the application too: transport fields, not caller metadata. */
const TRANSPORT_HEADERS = new Set([
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'accept-encoding',
  'te',
  'content-type',
]);

/** HTTP/2 request headers -> the caller's metadata as the header map the pipeline reads. */
export function metadataHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const key in headers) {
    if (key[0] === ':' || key.endsWith('-bin') || TRANSPORT_HEADERS.has(key)) continue;
    const value = headers[key];
    out[key] = Array.isArray(value) ? value[0] : value;
  }
  return out;
}

/** gRPC's grpc-timeout (up to 8 digits and a unit) in milliseconds; undefined when malformed. */
const TIMEOUT = /^(\d{1,8})([HMSmun])$/;
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
export function timeoutMs(header: string): number | undefined {
  const m = TIMEOUT.exec(header);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : undefined;
}

const RESPONSE_HEADERS = {
  ':status': 200,
  'content-type': 'application/grpc+proto',
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
};

/**
 * Whether the fast path can take a call: an uncompressed message and a well-formed deadline. The
 * rest (compressed requests, a wrong content type, a malformed grpc-timeout) stays with grpc-js,
 * which answers them as it always did.
 */
function plain(headers: IncomingHttpHeaders): boolean {
  const encoding = headers['grpc-encoding'];
  const timeout = headers['grpc-timeout'];
  return (
    (encoding === undefined || encoding === 'identity') &&
    (headers['content-type'] ?? '').startsWith('application/grpc') &&
    (timeout === undefined || (typeof timeout === 'string' && timeoutMs(timeout) !== undefined))
  );
}

/**
 * One unary call straight off its HTTP/2 stream: read the one length-prefixed message, hand it to
 * the handler, answer with headers, the message and trailers (or Trailers-Only for an error), as
 * grpc-js would, without its per-call machinery (interceptor chain, Metadata objects, a read queue
 * with a promise per message, channelz accounting).
 */
function serveCall<Req, Res>(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  method: FastUnaryMethod<Req, Res>,
): void {
  let done = false;
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  const finish = () => {
    done = true;
    clearTimeout(timer);
  };
  const fail = (code: Code, details: string, trailers?: Metadata) => {
    finish();
    if (stream.destroyed || stream.closed) return;
    stream.respond(
      {
        ...RESPONSE_HEADERS,
        'grpc-status': code,
        'grpc-message': encodeURI(details),
        ...trailers?.toHttp2Headers(),
      },
      { endStream: true },
    );
  };
  const timeout =
    headers['grpc-timeout'] === undefined ? undefined : timeoutMs(headers['grpc-timeout'] as string)!;
  const deadline = timeout === undefined ? Infinity : Date.now() + timeout;
  if (timeout !== undefined) {
    timer = setTimeout(() => {
      fail(Code.DEADLINE_EXCEEDED, 'Deadline exceeded');
      cancelled = true;
    }, timeout);
  }
  // A stream error is followed by 'close'; the listener only keeps it from being thrown.
  stream.on('error', () => undefined);
  stream.once('close', () => {
    if (!done) cancelled = true;
    finish();
  });

  const chunks: Buffer[] = [];
  let length = 0;
  let declared: number | undefined;
  stream.on('data', (chunk: Buffer) => {
    if (done) return;
    chunks.push(chunk);
    length += chunk.length;
    if (declared !== undefined || length < 5) return;
    declared = Buffer.concat(chunks, length).readUInt32BE(1);
    if (declared > method.maxReceiveBytes) {
      fail(
        Code.RESOURCE_EXHAUSTED,
        `Received message larger than max (${declared} vs. ${method.maxReceiveBytes})`,
      );
      cancelled = true;
    }
  });
  stream.on('end', () => {
    if (done) return;
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
    if (body.length < 5 || body.readUInt32BE(1) !== body.length - 5) {
      return fail(Code.UNIMPLEMENTED, `${method.path} takes exactly one request message`);
    }
    let request: Req;
    try {
      request = method.deserialize(body.subarray(5));
    } catch {
      return fail(Code.INTERNAL, 'Error deserializing request');
    }
    const call: UnaryCall<Req> = {
      request,
      headers: metadataHeaders(headers),
      deadline,
      get cancelled() {
        return cancelled;
      },
    };
    method.handle(call, (error, value, trailers) => {
      if (done) return;
      if (error)
        return fail(error.code ?? Code.UNKNOWN, error.details ?? error.message, error.metadata ?? trailers);
      let message: Buffer;
      try {
        message = method.serialize(value as Res);
      } catch {
        return fail(Code.INTERNAL, 'Error serializing response');
      }
      finish();
      if (stream.destroyed || stream.closed) return;
      const framed = Buffer.allocUnsafe(5 + message.length);
      framed[0] = 0;
      framed.writeUInt32BE(message.length, 1);
      message.copy(framed, 5);
      stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
      stream.once('wantTrailers', () =>
        stream.sendTrailers({ 'grpc-status': Code.OK, 'grpc-message': 'OK', ...trailers?.toHttp2Headers() }),
      );
      stream.end(framed);
    });
  });
}

type StreamListener = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) => void;

/**
 * Serves `method` on `server`'s bound ports without grpc-js's per-call layers; every other call,
 * and any `method` call the fast path does not take (see `plain`), goes to grpc-js as before. Call
 * it after bindAsync. It reaches into grpc-js's HTTP/2 servers (a private field), so it checks what
 * it finds and returns false, changing nothing, when grpc-js is not built as expected.
 */
export function serveFastUnary<Req, Res>(server: Server, method: FastUnaryMethod<Req, Res>): boolean {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) return false;
  const bound = [...servers.keys()] as http2.Http2Server[];
  if (!bound.every((h2) => h2.listeners('stream').length === 1)) return false;
  for (const h2 of bound) {
    const grpcJs = h2.listeners('stream')[0] as StreamListener;
    h2.removeListener('stream', grpcJs);
    h2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) => {
      if (headers[':path'] === method.path && plain(headers)) serveCall(stream, headers, method);
      else grpcJs.call(h2, stream, headers, ...rest);
    });
  }
  return true;
}
