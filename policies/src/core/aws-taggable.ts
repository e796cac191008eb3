import * as aws from '@pulumi/aws';

const cache = new Map<string, boolean>();

/**
 * Multi-language components that pass their `tags` to every AWS resource they create. Their children
 * live in the provider process, so outside a real run (the offline gate) the component's own `tags`
 * input is the only place to check.
 */
export const TAG_FORWARDING_COMPONENTS: readonly string[] = [
  'awsx:ec2:Vpc',
  'eks:index:Cluster',
  'eks:index:ManagedNodeGroup',
];

/** Resources whose tags reach AWS: taggable AWS types and the components that forward tags. */
export function carriesAwsTags(type: string): boolean {
  return TAG_FORWARDING_COMPONENTS.includes(type) || isTaggableAwsType(type);
}

/**
 * Whether an `aws:*` type takes `tags`. @pulumi/aws carries no schema at run time, but each generated
 * resource class copies every input it accepts into `resourceInputs[...]`, so the class body is an
 * exact, version-matched answer. Component types (`awsx:`, `eks:`) and unknown tokens answer false.
 */
export function isTaggableAwsType(type: string): boolean {
  let answer = cache.get(type);
  if (answer === undefined) {
    answer = lookUp(type);
    cache.set(type, answer);
  }
  return answer;
}

function lookUp(type: string): boolean {
  const m = /^aws:([\w]+)\/\w+:(\w+)$/.exec(type);
  if (m === null) return false;
  const [, mod, className] = m;
  const ns = (mod === 'index' ? aws : (aws as unknown as Record<string, unknown>)[mod]) as
    Record<string, unknown> | undefined;
  const cls = ns?.[className] as { __pulumiType?: string } | undefined;
  return cls?.__pulumiType === type && String(cls).includes('resourceInputs["tags"]');
}
