import { MessageChannel } from 'node:worker_threads';
import type { Tensor } from '../core/tensor';

/**
 * A closed port: a message posted to it is dropped, and with it the buffers moved into it.
 * Node 20 has no ArrayBuffer.prototype.transfer, and structuredClone re-creates what it moves.
 */
const sink = new MessageChannel().port1;
sink.close();

/**
 * Bodies below this many bytes are left to the collector: they add little external memory, and
 * freeing them would cost the small requests' hot path a message each.
 */
export const RELEASE_MIN_BYTES = 16 * 1024;

/**
 * Frees the memory of a request body's buffers once it is decoded, rather than when a collection
 * finds them dead. V8 counts every live ArrayBuffer as external memory and, once enough has been
 * allocated since its last full collection, starts one: under 32-row heavy-mlp requests the bodies
 * were half (binary) to four fifths (JSON) of that memory (docs/benchmarks.md, "Seventh round").
 *
 * A buffer is detached (reads as empty from then on) only if it is the whole of its ArrayBuffer
 * (not a slice of Node's pool of small buffers, shared with others) and no decoded tensor is on
 * that memory (a binary-extension BYTES element is a view on the body).
 */
export function releaseBody(body: Buffer | readonly Buffer[], decoded: readonly Tensor[]): void {
  const buffers = Buffer.isBuffer(body) ? [body] : body;
  let size = 0;
  for (const b of buffers) size += b.length;
  if (size < RELEASE_MIN_BYTES) return;
  const held = new Set<ArrayBufferLike>();
  for (const t of decoded) {
    if (t.datatype === 'BYTES') for (const e of t.data as Buffer[]) held.add(e.buffer);
    else held.add((t.data as Exclude<Tensor['data'], Buffer[]>).buffer);
  }
  const free: ArrayBuffer[] = [];
  for (const b of buffers) {
    const whole = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
    if (whole && b.buffer instanceof ArrayBuffer && !held.has(b.buffer)) free.push(b.buffer);
  }
  if (free.length > 0) sink.postMessage(null, free);
}
