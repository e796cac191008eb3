import { randomFillSync } from 'node:crypto';

/**
 * A random (version 4) UUID, as `crypto.randomUUID` makes it and from the same source, the CSPRNG.
 * randomUUID builds its text by concatenating 20 pieces, about 900 bytes of garbage per id; here
 * the text goes into a scratch buffer and comes out as one string (allocations per request in
 * docs/benchmarks.md).
 *
 * The random bytes are filled IDS_PER_FILL ids at a time. randomUUID fills 128 at a time, but a
 * `randomFillSync` call costs 3 to 5 µs whatever its size up to 64 KiB here: 30 to 40 ns per id
 * at 128, about 3 ns at 4096 (docs/benchmarks.md, seventh round). Every id still takes 16 fresh
 * bytes of its own.
 */
export const IDS_PER_FILL = 4096;
const random = Buffer.allocUnsafeSlow(16 * IDS_PER_FILL);
let used = IDS_PER_FILL;
const text = Buffer.allocUnsafeSlow(36);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const DASH = 0x2d;

export function randomUuid(): string {
  if (used === IDS_PER_FILL) {
    randomFillSync(random);
    used = 0;
  }
  const at = 16 * used++;
  let out = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[out++] = DASH;
    let byte = random[at + i];
    if (i === 6)
      byte = (byte & 0x0f) | 0x40; // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80; // RFC 4122 variant
    text[out++] = HEX[byte >> 4];
    text[out++] = HEX[byte & 0x0f];
  }
  return text.toString('latin1', 0, 36);
}
