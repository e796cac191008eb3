import { randomFillSync } from 'node:crypto';

/**
 * A random (version 4) UUID, as `crypto.randomUUID` makes it and from the same source: random bytes
 * filled 128 ids at a time from the CSPRNG. randomUUID builds its text by concatenating 20 pieces,
 * about 900 bytes of garbage per id; here the text goes into a scratch buffer and comes out as one
 * string (allocations per request in docs/benchmarks.md).
 */
const BATCH = 128;
const random = Buffer.allocUnsafeSlow(16 * BATCH);
let used = BATCH;
const text = Buffer.allocUnsafeSlow(36);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const DASH = 0x2d;

export function randomUuid(): string {
  if (used === BATCH) {
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
