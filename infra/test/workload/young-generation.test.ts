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
    expect(mib('512Mi')).toBe(8); // 32 MiB of young generation fits 3 x 8, not 3 x 16
    expect(mib('768Mi')).toBe(16);
    expect(mib('1Gi')).toBe(16); // 64 MiB: 3 x 16 fits, 3 x 32 does not
    expect(mib('2Gi')).toBe(32);
  });

  it("keeps to V8's smallest semi-space and to the ceiling past which it stops paying", () => {
    expect(mib('8Gi')).toBe(MAX_SEMI_SPACE_MIB);
    expect(mib('64Gi')).toBe(MAX_SEMI_SPACE_MIB);
    expect(mib('32Mi')).toBe(MIN_SEMI_SPACE_MIB);
    expect(mib('65536Ki')).toBe(1);
  });

  it('holds the semi-space at one size: the minimum is the maximum', () => {
    expect(youngGenerationFlags(memoryBytes('2Gi'))).toEqual([
      '--max-semi-space-size=32',
      '--min-semi-space-size=32',
    ]);
  });

  it('refuses a limit that is not a positive number of bytes', () => {
    expect(() => semiSpaceMiB(0)).toThrow(/memory limit 0/);
    expect(() => semiSpaceMiB(Number.NaN)).toThrow(/NaN/);
  });
});
