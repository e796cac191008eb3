import { createHash } from 'node:crypto';
import type { Tensor } from '../core/tensor';

/** Where the prediction cache keeps its entries in Redis, before the key; a new entry format takes a new version. */
export const PREDICTION_CACHE_REDIS_PREFIX = 'mlp:pc:v1:';

/**
 * The prediction cache key: a SHA-256 over model, version and each input's name, datatype, shape
 * and bytes, and nothing else (no request id, no requested outputs, no parameters), so that every
 * request that must get the same answer shares one entry.
 *
 * Inputs are hashed in name order: the protocol binds inputs by name, so two requests that differ
 * only in the order they list their inputs get the same answer and should share the entry.
 * Strings are length-prefixed and every tensor's byte length precedes its bytes, so that no two
 * different requests serialise to the same stream. This runs on every cacheable request: one
 * `update` for the metadata of all inputs, then one per tensor's bytes.
 */
export function predictionCacheKey(model: string, version: string, inputs: readonly Tensor[]): string {
  const sorted =
    inputs.length > 1 ? [...inputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) : inputs;
  let meta = `v2|${field(model)}${field(version)}${sorted.length}|`;
  for (const t of sorted) {
    const bytes = Array.isArray(t.data)
      ? `${t.data.length}*${t.data.map((el) => el.length).join(',')}`
      : String(t.data.byteLength);
    meta += `${field(t.name)}${t.datatype}[${t.shape.join(',')}]${bytes}|`;
  }
  const h = createHash('sha256').update(meta);
  for (const t of sorted) {
    if (Array.isArray(t.data)) for (const el of t.data) h.update(el);
    else h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}

/** A string with its UTF-16 length in front: `5:model`. */
const field = (s: string) => `${s.length}:${s}`;
