import { IDS_PER_FILL, randomUuid } from '../src/http/random-uuid';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('randomUuid (generated request ids)', () => {
  // Past two fills of random bytes, so that refills are covered too.
  const ids = Array.from({ length: 2 * IDS_PER_FILL + 100 }, () => randomUuid());

  it('makes RFC 4122 version 4 ids in the lower-case form randomUUID gives', () => {
    for (const id of ids) expect(id).toMatch(V4);
  });

  it('never repeats one', () => {
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('fills every random hex digit with all 16 values, about evenly', () => {
    // The 30 random digits of each id (the version digit and the variant's two bits left out).
    const counts = new Array<number>(16).fill(0);
    for (const id of ids) {
      const hex = id.replace(/-/g, '');
      for (let i = 0; i < 32; i++) if (i !== 12 && i !== 16) counts[parseInt(hex[i], 16)]++;
    }
    // 30 digits per id, a 16th of them expected per value (standard deviation about 140 here); a
    // generator that leaves any digit fixed, or that reuses a fill, is far outside this band.
    const expected = (ids.length * 30) / 16;
    for (const n of counts) expect(Math.abs(n - expected)).toBeLessThan(expected / 20);
  });
});
