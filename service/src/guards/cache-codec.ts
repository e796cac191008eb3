import { DATATYPES, type Datatype } from '@ml-platform/contract/names';
import { DATATYPE_INFO, elementCount } from '../core/datatypes';
import type { InferResult } from '../core/engine';
import type { Tensor, TensorData } from '../core/tensor';

/**
 * The bytes a cached prediction is stored as, in memory and in Redis:
 *   "MLPC" | u8 format version | u32le header length | JSON header | tensor payloads
 * The header names the model, version and each output's name, datatype, shape and payload length;
 * BYTES payloads are u32le length-prefixed elements. Redis is shared and outlives deployments,
 * so `decodePrediction` trusts nothing: any mismatch throws MalformedCacheEntryError, which the
 * cache counts and treats as a miss.
 */
const MAGIC = Buffer.from('MLPC', 'ascii');
const FORMAT_VERSION = 1;
const PREFIX_BYTES = MAGIC.length + 1 + 4;

export class MalformedCacheEntryError extends Error {
  constructor(reason: string) {
    super(`malformed cache entry: ${reason}`);
    this.name = 'MalformedCacheEntryError';
  }
}

export interface HeaderOutput {
  n: string;
  d: Datatype;
  s: number[];
  b: number;
}
export interface Header {
  m: string;
  v: string;
  o: HeaderOutput[];
}

function payloadOf(data: TensorData): Buffer[] {
  if (Array.isArray(data)) {
    const parts: Buffer[] = [];
    for (const el of data) {
      const len = Buffer.allocUnsafe(4);
      len.writeUInt32LE(el.length);
      parts.push(len, el);
    }
    return parts;
  }
  return [Buffer.from(data.buffer, data.byteOffset, data.byteLength)];
}

export function encodePrediction(result: InferResult): Buffer {
  const payloads: Buffer[] = [];
  const outputs: HeaderOutput[] = result.outputs.map((t) => {
    const parts = payloadOf(t.data);
    payloads.push(...parts);
    return { n: t.name, d: t.datatype, s: t.shape, b: parts.reduce((sum, p) => sum + p.length, 0) };
  });
  const header = Buffer.from(
    JSON.stringify({ m: result.modelName, v: result.modelVersion, o: outputs } satisfies Header),
  );
  const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt8(FORMAT_VERSION, MAGIC.length);
  prefix.writeUInt32LE(header.length, MAGIC.length + 1);
  return Buffer.concat([prefix, header, ...payloads]);
}

const isDim = (d: unknown): d is number => Number.isSafeInteger(d) && (d as number) >= 0;

/** An entry's header, read and checked, and where its payloads start. */
export interface EntryLayout {
  readonly header: Header;
  readonly offset: number;
}

/** The header's text of a checked prefix, and where the payloads start. */
function headerOf(buf: Buffer): { text: string; offset: number } {
  if (buf.length < PREFIX_BYTES || !buf.subarray(0, MAGIC.length).equals(MAGIC))
    throw new MalformedCacheEntryError('bad magic');
  const version = buf.readUInt8(MAGIC.length);
  if (version !== FORMAT_VERSION) throw new MalformedCacheEntryError(`format version ${version}`);
  const headerLength = buf.readUInt32LE(MAGIC.length + 1);
  if (PREFIX_BYTES + headerLength > buf.length) throw new MalformedCacheEntryError('header past end');
  const offset = PREFIX_BYTES + headerLength;
  return { text: buf.toString('utf8', PREFIX_BYTES, offset), offset };
}

/** Reads and checks an entry's header; decodeOutputs then decodes its payloads as often as needed. */
export function entryLayout(buf: Buffer): EntryLayout {
  const { text, offset } = headerOf(buf);
  return parseHeader(text, offset);
}

/**
 * Entries' layouts by their header's text. The answers of one model version mostly share one
 * header (its names, datatypes and shapes), so a memory tier keeps one layout for them all rather
 * than one per entry: parsed, a classifier's header is about 350 bytes of objects, twice its
 * encoded answer. Starts over once it holds `max` layouts, so outputs whose shapes vary cannot
 * grow it without bound.
 */
export class SharedLayouts {
  private readonly byText = new Map<string, EntryLayout>();

  constructor(private readonly max = 1024) {}

  of(buf: Buffer): EntryLayout {
    const { text, offset } = headerOf(buf);
    let layout = this.byText.get(text);
    if (!layout) {
      layout = parseHeader(text, offset);
      if (this.byText.size >= this.max) this.byText.clear();
      this.byText.set(text, layout);
    }
    return layout;
  }
}

function parseHeader(text: string, offset: number): EntryLayout {
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    throw new MalformedCacheEntryError('header is not JSON');
  }
  const h = header as Partial<Header> | null;
  if (!h || typeof h.m !== 'string' || typeof h.v !== 'string' || !Array.isArray(h.o))
    throw new MalformedCacheEntryError('header fields');
  for (const o of h.o as unknown[]) {
    const out = o as Partial<HeaderOutput> | null;
    if (
      !out ||
      typeof out.n !== 'string' ||
      !DATATYPES.includes(out.d as Datatype) ||
      !Array.isArray(out.s) ||
      !out.s.every(isDim) ||
      !isDim(out.b)
    )
      throw new MalformedCacheEntryError('output fields');
  }
  return { header: h as Header, offset };
}

function decodeBytes(payload: Buffer, count: number): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > payload.length) throw new MalformedCacheEntryError('BYTES element past end');
    const len = payload.readUInt32LE(at);
    at += 4;
    if (at + len > payload.length) throw new MalformedCacheEntryError('BYTES element past end');
    out.push(Buffer.from(payload.subarray(at, at + len)));
    at += len;
  }
  if (at !== payload.length) throw new MalformedCacheEntryError('BYTES payload has trailing bytes');
  return out;
}

/**
 * V8 keeps a typed array of up to this many bytes inside its own heap object, with no separate
 * backing store, until something asks for its `.buffer`. Every memory-tier hit decodes its outputs,
 * and a classifier's are a few bytes each: copying them through `.buffer` gave each hit two
 * ArrayBuffers with malloc'd stores for the next scavenge to sweep (docs/benchmarks.md, "Seventh
 * round").
 */
const IN_HEAP_BYTES = 64;
/** Aligned staging for such small payloads, whose offsets in an entry are arbitrary. */
const staging = new Uint8Array(IN_HEAP_BYTES).buffer;
const stagingBytes = new Uint8Array(staging);

type NumericArray = InstanceType<NonNullable<(typeof DATATYPE_INFO)[Datatype]['array']>>;

/** The payload's elements in a fresh array of their type. */
function numericArray(info: (typeof DATATYPE_INFO)[Datatype], payload: Buffer, count: number): NumericArray {
  const Ctor = info.array!;
  const data = new Ctor(count);
  if (payload.length > IN_HEAP_BYTES) new Uint8Array(data.buffer).set(payload);
  else {
    stagingBytes.set(payload);
    (data as Uint8Array).set(new Ctor(staging, 0, count) as Uint8Array);
  }
  return data;
}

/**
 * The outputs of the entry `buf` whose header `layout` read, decoded into fresh, aligned arrays:
 * callers may keep or mutate them without touching the entry.
 */
export function decodeOutputs(buf: Buffer, { header, offset }: EntryLayout): Tensor[] {
  let at = offset;
  const outputs: Tensor[] = header.o.map((o) => {
    if (at + o.b > buf.length) throw new MalformedCacheEntryError(`output ${o.n} past end`);
    const payload = buf.subarray(at, at + o.b);
    at += o.b;
    const count = elementCount(o.s);
    const info = DATATYPE_INFO[o.d];
    if (!info.array) return { name: o.n, datatype: o.d, shape: [...o.s], data: decodeBytes(payload, count) };
    if (o.b !== count * info.byteSize)
      throw new MalformedCacheEntryError(`output ${o.n} has ${o.b} bytes for shape [${o.s}]`);
    return { name: o.n, datatype: o.d, shape: [...o.s], data: numericArray(info, payload, count) };
  });
  if (at !== buf.length) throw new MalformedCacheEntryError('trailing bytes');
  return outputs;
}

export function decodePrediction(buf: Buffer): InferResult {
  const layout = entryLayout(buf);
  return { modelName: layout.header.m, modelVersion: layout.header.v, outputs: decodeOutputs(buf, layout) };
}
