import { createHash, type Hash } from 'node:crypto';
import type { Tensor, TensorData } from '../core/tensor';

/**
 * The prediction cache key: a SHA-256 over model, version and each input's name, datatype, shape
 * and bytes, and nothing else (no request id, no requested outputs, no parameters), so that every
 * request that must get the same answer shares one entry.
 *
 * Inputs are hashed in name order: the protocol binds inputs by name, so two requests that differ
 * only in the order they list their inputs get the same answer and should share the entry.
 * Every field is length-prefixed so that no two different requests serialise to the same bytes.
 */
export function predictionCacheKey(model: string, version: string, inputs: readonly Tensor[]): string {
  const h = createHash('sha256');
  writeString(h, 'v1');
  writeString(h, model);
  writeString(h, version);
  const sorted = [...inputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  writeUint(h, sorted.length);
  for (const t of sorted) {
    writeString(h, t.name);
    writeString(h, t.datatype);
    writeUint(h, t.shape.length);
    for (const d of t.shape) writeUint(h, d);
    writeData(h, t.data);
  }
  return h.digest('hex');
}

function writeUint(h: Hash, n: number): void {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64LE(BigInt(n));
  h.update(b);
}

function writeString(h: Hash, s: string): void {
  const b = Buffer.from(s, 'utf8');
  writeUint(h, b.length);
  h.update(b);
}

function writeData(h: Hash, data: TensorData): void {
  if (Array.isArray(data)) {
    writeUint(h, data.length);
    for (const el of data) {
      writeUint(h, el.length);
      h.update(el);
    }
    return;
  }
  writeUint(h, data.byteLength);
  h.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}
