import type { InferResult } from '../core/engine';
import type { Tensor } from '../core/tensor';
import { jsonOutputsText } from '../protocol/infer-response';
import { decodeOutputs, type EntryLayout, type SharedLayouts } from './cache-codec';

/**
 * What the in-process tier keeps per entry: the codec's bytes (cache-codec.ts), the header read
 * from them, and the text of the entry's outputs in a plain JSON answer
 * (protocol/infer-response.ts). The bytes and the text are strings, one heap object each that the
 * garbage collector can move, as prediction-cache.ts explains. The text depends only on the
 * outputs: an answer's id, model and version are spliced around it per request. The header is
 * read once, when the entry is filed, and shared with entries whose header is the same
 * (SharedLayouts): a hit's outputs are still decoded for the observers, and parsing the header's
 * JSON was most of that.
 */
export class MemoryEntry {
  constructor(
    /** The codec's bytes as a one-byte (latin1) string. */
    readonly codec: string,
    readonly layout: EntryLayout,
    readonly outputsJson: string,
  ) {}

  /**
   * What the entry's strings hold: a byte per character, two when the text needs two-byte
   * characters. The shared layout is not the entry's.
   */
  get bytes(): number {
    return this.codec.length + this.outputsJson.length * (ONE_BYTE.test(this.outputsJson) ? 1 : 2);
  }
}

const ONE_BYTE = /^[\x00-\xff]*$/;

/** An entry for `result`, whose codec bytes are `encoded`, with its layout from `layouts`. */
export const memoryEntry = (result: InferResult, encoded: Buffer, layouts: SharedLayouts): MemoryEntry =>
  new MemoryEntry(encoded.toString('latin1'), layouts.of(encoded), jsonOutputsText(result.outputs));

/**
 * A memory-tier hit's result. A hit whose answer is plain JSON needs only `outputsJson`, so the
 * outputs are decoded when something first reads them (a request for some outputs or for binary
 * data, or an observer after the answer is written), not before the answer. The private fields and
 * the accessors on the prototype keep a spread copy (`{ ...result, outputs }`) from carrying the
 * entry's text for outputs it changed.
 */
export class CachedResult implements InferResult {
  /** Undefined once the outputs were replaced: its text no longer describes them. */
  #entry: MemoryEntry | undefined;
  #outputs: Tensor[] | undefined = undefined;

  constructor(
    readonly modelName: string,
    readonly modelVersion: string,
    entry: MemoryEntry,
  ) {
    this.#entry = entry;
  }

  /** Decoded once, into fresh arrays that the caller may keep or change. */
  get outputs(): Tensor[] {
    const entry = this.#entry!;
    return (this.#outputs ??= decodeOutputs(Buffer.from(entry.codec, 'latin1'), entry.layout));
  }

  set outputs(outputs: Tensor[]) {
    this.#outputs = outputs;
    this.#entry = undefined;
  }

  get outputsJson(): string | undefined {
    return this.#entry?.outputsJson;
  }
}
