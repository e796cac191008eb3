/** Number texts for the tests of the JSON numeric-array scan and its readers. */
import fc from 'fast-check';

/** Decimal texts of every kind a client prints: short, 17 digits, exponents, -0, huge, tiny. */
export const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.float({ noNaN: true, noDefaultInfinity: true }).map((x) => String(x)),
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc
    .tuple(fc.integer({ min: -99999, max: 99999 }), fc.integer({ min: 0, max: 12 }))
    .map(([m, k]) => (m / 10 ** k).toFixed(k)),
  fc
    .tuple(
      fc.stringMatching(/^-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,30})?$/),
      fc.constantFrom('', 'e', 'E', 'e+', 'e-', 'E-'),
      fc.integer({ min: 0, max: 400 }),
    )
    .map(([m, e, x]) => (e === '' ? m : `${m}${e}${x}`)),
  fc.constantFrom('-0', '0', '0.0', '-0.0e5', '1e400', '-1e400', '1e-400', '3.4028235677973366e38', '1e39'),
  // Around the mantissa's 9- and 17-digit runs.
  fc.constantFrom(
    '123456789',
    '123456789.5',
    '1234567891.25',
    '12345678901234567',
    '12345678901234567.5',
    '123456789012345678',
    '0.000123456789012345678901',
    '9007199254740993',
    '4.9406564584124654e-324',
  ),
);

/** The double halfway between the FP32 value with these bits and the next one up. */
export function float32Midpoint(bits: number): number {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  u32[0] = bits;
  const low = f32[0];
  u32[0] = bits + 1;
  return (low + f32[0]) / 2;
}

/** `valid` with up to three characters taken out at a random place and one of `inserts` put there. */
export const corruptionOf = (valid: string, inserts: string[]) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: valid.length }),
      fc.integer({ min: 0, max: 3 }),
      fc.constantFrom(...inserts),
    )
    .map(([at, remove, insert]) => valid.slice(0, at) + insert + valid.slice(at + remove));
