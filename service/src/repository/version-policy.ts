import type { ModelConfig } from './model-config';

/**
 * Which of the versions present on disk the policy serves. Pure. A specific version that is not on
 * disk is still returned, so that its load fails visibly instead of being silently skipped.
 */
export function selectVersions(
  policy: ModelConfig['version_policy'],
  available: readonly number[],
): number[] {
  const sorted = [...new Set(available)].sort((a, b) => a - b);
  if ('all' in policy) return sorted;
  if ('latest' in policy) return sorted.slice(-policy.latest.num_versions);
  return [...new Set(policy.specific.versions)].sort((a, b) => a - b);
}

/** Version directories are positive integers without leading zeros, as in Triton. */
export function parseVersionDir(name: string): number | undefined {
  return /^[1-9][0-9]{0,8}$/.test(name) ? Number(name) : undefined;
}
