import type { IncomingMessage } from 'node:http';
import { clientClosedRequest, payloadTooLarge, requestTimeout } from '../core/errors';

let checkPhase: Promise<void> | undefined;

/**
 * The next check phase: one Immediate and one promise shared by every request whose handler ran
 * in this turn of the event loop (they all resume in that check phase either way).
 */
function nextCheckPhase(): Promise<void> {
  checkPhase ??= new Promise((resolve) =>
    setImmediate(() => {
      checkPhase = undefined;
      resolve();
    }),
  );
  return checkPhase;
}

const tooLarge = (limit: number) =>
  payloadTooLarge(`request body exceeds the ${limit}-byte limit (MAX_BODY_BYTES)`);

const clientGone = () =>
  clientClosedRequest('the client closed the connection before sending the whole body');

/**
 * Reads the whole request body, refusing more than `limit` bytes: a declared Content-Length over the
 * limit is refused before reading, a body that grows past it is cut off as soon as it does. A body
 * not complete within `timeoutMs` is a 408; a client that goes away mid-body is a 499.
 */
export async function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  const body = await readBodyChunks(req, limit, timeoutMs);
  return Buffer.isBuffer(body) ? body : Buffer.concat(body);
}

/**
 * `readBody`'s body, or the chunks it arrived in when it came in more than one, not joined: a
 * reader that copies the bytes elsewhere anyway (a large JSON request into WebAssembly memory)
 * then needs no buffer of the whole body.
 */
export async function readBodyChunks(
  req: IncomingMessage,
  limit: number,
  timeoutMs: number,
): Promise<Buffer | Buffer[]> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    throw tooLarge(limit);
  }
  // The handler runs from the parser's headers callback, inside the socket read that brought them
  // (microtasks and ticks run right after that callback, before the body's). A small body usually
  // came in that same read: by the check phase the parser has pushed all of it, and it is taken
  // from the stream's buffer without a timer or listeners.
  await nextCheckPhase();
  if (req.complete) {
    const body = (req.read() as Buffer | null) ?? Buffer.alloc(0);
    if (body.length > limit) throw tooLarge(limit);
    return body;
  }
  if (req.socket.destroyed || req.destroyed) throw clientGone();
  return streamBody(req, limit, timeoutMs);
}

/** The body still arriving: collected as it comes, within `timeoutMs`. */
function streamBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer | Buffer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (err?: Error) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
      if (err) {
        // What is left of the body is not worth reading: let it drain, the answer closes the connection.
        req.resume();
        reject(err);
      } else resolve(chunks.length <= 1 ? (chunks[0] ?? Buffer.alloc(0)) : chunks);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) settle(tooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = () => settle();
    const onAbort = () => settle(clientGone());
    const timer = setTimeout(
      () => settle(requestTimeout(`request body not received within ${timeoutMs} ms (REQUEST_TIMEOUT_MS)`)),
      timeoutMs,
    );
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onAbort);
    req.once('close', onAbort);
  });
}
