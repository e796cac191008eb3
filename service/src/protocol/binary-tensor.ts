import { endianness } from 'node:os';
import { DATATYPE_INFO } from '../core/datatypes';
import { badRequest } from '../core/errors';
import type { Datatype, TensorData } from '../core/tensor';

/**
 * The binary tensor data extension: little-endian, row-major, no padding; BOOL one byte (0/1);
 * BYTES elements as a 4-byte little-endian length followed by the bytes. Typed arrays view host
 * memory, so the zero-copy reinterpretation below is only valid on little-endian hosts.
 */
if (endianness() !== 'LE') throw new Error('the binary tensor codec assumes a little-endian host');

/** Decodes `bytes` (exactly the tensor's binary_data_size) into storage for `elements` elements. */
export function tensorDataFromBinary(
  name: string,
  datatype: Datatype,
  elements: number,
  bytes: Buffer,
  /** How the caller's protocol names the byte count, for the error message. */
  field = 'binary_data_size',
): TensorData {
  const info = DATATYPE_INFO[datatype];
  if (info.kind === 'bytes') return decodeBytesElements(name, elements, bytes);
  const expected = elements * info.byteSize;
  if (bytes.length !== expected) {
    throw badRequest(
      `input '${name}': ${field} is ${bytes.length} bytes, expected ${expected} ` +
        `(${elements} elements of ${datatype} at ${info.byteSize} bytes each)`,
    );
  }
  // Copy into a fresh, aligned buffer: the slice of the request body may sit at any offset.
  const copy = new Uint8Array(expected);
  copy.set(bytes);
  const Ctor = info.array!;
  const out = new Ctor(copy.buffer, 0, elements);
  if (info.kind === 'bool') {
    const i = copy.findIndex((b) => b > 1);
    if (i >= 0) throw badRequest(`input '${name}': BOOL element ${i} is byte ${copy[i]}, expected 0 or 1`);
  }
  return out;
}

function decodeBytesElements(name: string, elements: number, bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off < bytes.length) {
    if (off + 4 > bytes.length) {
      throw badRequest(`input '${name}': BYTES element ${out.length} has a truncated 4-byte length prefix`);
    }
    const len = bytes.readUInt32LE(off);
    off += 4;
    if (off + len > bytes.length) {
      throw badRequest(
        `input '${name}': BYTES element ${out.length} declares ${len} bytes but only ${bytes.length - off} remain`,
      );
    }
    out.push(bytes.subarray(off, off + len));
    off += len;
  }
  if (out.length !== elements) {
    throw badRequest(
      `input '${name}': binary data holds ${out.length} BYTES elements, shape needs ${elements}`,
    );
  }
  return out;
}

/** Storage -> binary extension bytes. Numeric storage is already little-endian, so it is shared, not copied. */
export function tensorDataToBinary(datatype: Datatype, data: TensorData): Buffer {
  if (DATATYPE_INFO[datatype].kind === 'bytes') {
    const elems = data as Buffer[];
    let size = 0;
    for (const e of elems) size += 4 + e.length;
    const out = Buffer.allocUnsafe(size);
    let off = 0;
    for (const e of elems) {
      out.writeUInt32LE(e.length, off);
      off += 4;
      e.copy(out, off);
      off += e.length;
    }
    return out;
  }
  const view = data as Exclude<TensorData, Buffer[]>;
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}
