import type { IncomingMessage } from 'node:http';
import { payloadTooLarge } from '../core/errors';

/**
 * Reads the whole request body, refusing more than `limit` bytes: a declared Content-Length over the
 * limit is refused before reading, a body that grows past it is cut off as soon as it does.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  const tooLarge = () => payloadTooLarge(`request body exceeds the ${limit}-byte limit (MAX_BODY_BYTES)`);
  if (declared > limit) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}
