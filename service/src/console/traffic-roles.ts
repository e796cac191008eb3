import type { TrafficPolicy } from '../traffic/router';

/** One way a version receives traffic: its variant and the share of unversioned requests. */
export interface TrafficRole {
  /** stable, canary, ab:<variant name> (requests carrying the experiment key), or shadow (copies). */
  variant: string;
  /** Percent of the unversioned requests it answers (of those with the A/B key, for ab:*; sampled copies, for shadow). */
  weightPct: number;
}

/**
 * The roles of each version under a model's traffic policy (service/src/traffic/router.ts), keyed
 * by version. `defaultVersion` is the version serving when the policy names no stable one.
 */
export function trafficRoles(
  policy: TrafficPolicy | undefined,
  defaultVersion: string | undefined,
): Map<string, TrafficRole[]> {
  const roles = new Map<string, TrafficRole[]>();
  const add = (version: string | undefined, role: TrafficRole) => {
    if (version === undefined) return;
    roles.set(version, [...(roles.get(version) ?? []), role]);
  };
  const canary = policy?.canary?.weightPct ?? 0;
  add(policy?.stable ?? defaultVersion, { variant: 'stable', weightPct: 100 - canary });
  if (policy?.canary) add(policy.canary.version, { variant: 'canary', weightPct: canary });
  for (const v of policy?.ab?.variants ?? [])
    add(v.version, { variant: `ab:${v.name}`, weightPct: v.weightPct });
  if (policy?.shadow) add(policy.shadow.version, { variant: 'shadow', weightPct: policy.shadow.samplePct });
  return roles;
}
