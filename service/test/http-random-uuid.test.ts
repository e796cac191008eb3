import { randomUuid } from '../src/http/random-uuid';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('randomUuid (generated request ids)', () => {
  // Past the 128 ids of one fill of random bytes, so that refills are covered too.
  const ids = Array.from({ length: 1000 }, () => randomUuid());

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
    // 30 000 digits: 1875 expected per value; a generator that leaves any digit fixed, or that
    // reuses a batch, is far outside this band.
    for (const n of counts) expect(Math.abs(n - 1875)).toBeLessThan(250);
  });
});
