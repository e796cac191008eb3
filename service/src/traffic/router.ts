/**
 * Chooses which model version serves a request: an explicit version in the URL wins; otherwise a
 * sticky A/B assignment when the request carries the experiment key, else a weighted canary, else
 * the default (stable) version. A shadow copy is decided independently and never affects the answer.
 * Pure: randomness is injected so tests can pin it.
 */

export interface TrafficPolicy {
  /** Undefined: the model's default (newest) version. */
  stable?: string;
  canary?: { version: string; weightPct: number };
  ab?: { keyHeader: string; variants: { name: string; version: string; weightPct: number }[] };
  shadow?: { version: string; samplePct: number };
}

export type Variant = 'explicit' | 'stable' | 'canary' | `ab:${string}`;

export interface RouteDecision {
  /** Undefined means the model's default version. */
  version: string | undefined;
  variant: Variant;
  /** A version to receive a fire-and-forget copy of the request. */
  shadowVersion?: string;
}

export interface RouteInput {
  explicitVersion?: string;
  /** Value of the policy's A/B key header, when present. */
  abKey?: string;
  /** Uniform in [0, 1). */
  random: () => number;
}

const BUCKETS = 10_000;

/** FNV-1a: a stable, well-spread hash so a key lands in the same A/B bucket on every replica. */
export function stableBucket(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % BUCKETS;
}

function pickWeighted<T extends { weightPct: number }>(items: readonly T[], bucket: number): T | undefined {
  let upper = 0;
  for (const item of items) {
    upper += (item.weightPct / 100) * BUCKETS;
    if (bucket < upper) return item;
  }
  return undefined;
}

/** A module function rather than a closure in route(): no function to allocate per request. */
function withShadow(d: RouteDecision, shadowVersion: string | undefined): RouteDecision {
  return shadowVersion !== undefined && shadowVersion !== d.version ? { ...d, shadowVersion } : d;
}

export function route(policy: TrafficPolicy | undefined, input: RouteInput): RouteDecision {
  const shadowVersion =
    policy?.shadow && input.random() * 100 < policy.shadow.samplePct ? policy.shadow.version : undefined;

  if (input.explicitVersion !== undefined) {
    return { version: input.explicitVersion, variant: 'explicit' };
  }
  if (policy?.ab && input.abKey !== undefined && input.abKey !== '') {
    const variant = pickWeighted(policy.ab.variants, stableBucket(input.abKey));
    if (variant)
      return withShadow({ version: variant.version, variant: `ab:${variant.name}` }, shadowVersion);
  }
  if (policy?.canary && input.random() * 100 < policy.canary.weightPct) {
    return withShadow({ version: policy.canary.version, variant: 'canary' }, shadowVersion);
  }
  return withShadow({ version: policy?.stable, variant: 'stable' }, shadowVersion);
}
