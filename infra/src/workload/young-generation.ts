/**
 * V8's young generation for the service, sized from the pod's memory limit and fixed there.
 *
 * Left to itself, Node sizes the heap from the container's cgroup limit: the semi-space may grow to
 * 1 MB in a 512Mi pod, 8 MB in 2Gi and 16 MB from 8Gi. It grows towards that ceiling only as objects
 * survive scavenges and shrinks again when traffic pauses, so traffic that comes in bursts meets a
 * small new space and scavenges every ~125 classifier requests. Held at 16 MB (its minimum set to
 * its maximum), it scavenges a fifth as often, for no peak RSS that showed; docs/benchmarks.md
 * ("The young generation's size") has the numbers this share and ceiling come from.
 *
 * The flags must reach node before its heap exists (`v8.setFlagsFromString` does not resize a heap
 * already made), and node 20 refuses `--min-semi-space-size` in NODE_OPTIONS, so the pod puts them
 * on the image's command line (pod.ts). The pod runs one service process (WORKERS unset), which
 * gets the whole budget.
 */

/** Share of the memory limit the young generation may reserve: V8 counts it as three semi-spaces. */
export const YOUNG_GENERATION_SHARE_OF_MEMORY_LIMIT = 1 / 16;
/** V8's smallest semi-space. */
export const MIN_SEMI_SPACE_MIB = 1;
/**
 * What V8 itself grows to from 8Gi. Larger fixed sizes scavenged less again (half and a quarter as
 * often at 32 and 64 MB) but read up to 60 and 133 MiB more peak RSS, and no CPU saving showed
 * through the noise.
 */
export const MAX_SEMI_SPACE_MIB = 16;
const SEMI_SPACES_PER_YOUNG_GENERATION = 3;
const MIB = 2 ** 20;

/**
 * The semi-space, in MiB, for a memory limit: the largest power of two (V8 rounds any other size
 * up to one) whose young generation fits the share, within [MIN_SEMI_SPACE_MIB, MAX_SEMI_SPACE_MIB].
 */
export function semiSpaceMiB(memoryLimitBytes: number): number {
  if (!Number.isFinite(memoryLimitBytes) || memoryLimitBytes <= 0)
    throw new Error(`memory limit ${memoryLimitBytes} is not a positive number of bytes`);
  const fits =
    (memoryLimitBytes * YOUNG_GENERATION_SHARE_OF_MEMORY_LIMIT) / SEMI_SPACES_PER_YOUNG_GENERATION / MIB;
  const powerOfTwo = fits >= 1 ? 2 ** Math.floor(Math.log2(fits)) : 0;
  return Math.min(MAX_SEMI_SPACE_MIB, Math.max(MIN_SEMI_SPACE_MIB, powerOfTwo));
}

/** node's flags that hold the semi-space at one size for a memory limit: its minimum is its maximum. */
export function youngGenerationFlags(memoryLimitBytes: number): string[] {
  const mib = semiSpaceMiB(memoryLimitBytes);
  return [`--max-semi-space-size=${mib}`, `--min-semi-space-size=${mib}`];
}
