import { memoryBytes } from '../../src/workload/pod';
import {
  MAX_SEMI_SPACE_MIB,
  MIN_SEMI_SPACE_MIB,
  semiSpaceMiB,
  youngGenerationFlags,
} from '../../src/workload/young-generation';

describe("the service's young generation, from the pod's memory limit", () => {
  const mib = (quantity: string) => semiSpaceMiB(memoryBytes(quantity));

  it("gives three semi-spaces a sixteenth of the limit, rounded down to V8's powers of two", () => {
    expect(mib('256Mi')).toBe(4); // 16 MiB of young generation fits 3 x 4, not 3 x 8
    expect(mib('512Mi')).toBe(8);
    expect(mib('700Mi')).toBe(8); // 43.75 MiB: 3 x 16 does not fit
    expect(mib('768Mi')).toBe(16);
  });

  it("keeps to V8's smallest semi-space and to the ceiling past which it stops paying", () => {
    expect(mib('2Gi')).toBe(MAX_SEMI_SPACE_MIB);
    expect(mib('8Gi')).toBe(16);
    expect(mib('64Gi')).toBe(MAX_SEMI_SPACE_MIB);
    expect(mib('32Mi')).toBe(MIN_SEMI_SPACE_MIB);
    expect(mib('65536Ki')).toBe(1);
  });

  it('holds the semi-space at one size: the minimum is the maximum', () => {
    expect(youngGenerationFlags(memoryBytes('256Mi'))).toEqual([
      '--max-semi-space-size=4',
      '--min-semi-space-size=4',
    ]);
  });

  it('refuses a limit that is not a positive number of bytes', () => {
    expect(() => semiSpaceMiB(0)).toThrow(/memory limit 0/);
    expect(() => semiSpaceMiB(Number.NaN)).toThrow(/NaN/);
  });
});
