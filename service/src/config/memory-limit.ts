import { readFileSync } from 'node:fs';

/**
 * The container's memory limit, read from its cgroup: v2's `memory.max`, else v1's
 * `memory.limit_in_bytes`. Undefined when there is no limit ("max", or v1's page-rounded 2^63).
 */
export function cgroupMemoryLimit(
  read: (file: string) => string = (f) => readFileSync(f, 'utf8'),
): number | undefined {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    let text: string;
    try {
      text = read(file).trim();
    } catch {
      continue;
    }
    const bytes = Number(text);
    return /^\d+$/.test(text) && bytes > 0 && bytes < 2 ** 60 ? bytes : undefined;
  }
  return undefined;
}

/**
 * Share of the memory limit the in-process prediction cache may take by default. Under load with
 * its cache off the service holds about 190-260 MiB resident, so an eighth of the `local` stack's
 * 512 MiB (64 MiB) leaves room; infra/src/workload/pod.ts sets the same share explicitly.
 */
export const CACHE_SHARE_OF_MEMORY_LIMIT = 1 / 8;
const NO_LIMIT_DEFAULT = 64 * 1024 * 1024;

/** CACHE_MEMORY_BYTES when unset: a share of the container's memory limit, or 64 MiB without one. */
export function defaultCacheMemoryBytes(limit = cgroupMemoryLimit()): number {
  return limit === undefined ? NO_LIMIT_DEFAULT : Math.floor(limit * CACHE_SHARE_OF_MEMORY_LIMIT);
}
