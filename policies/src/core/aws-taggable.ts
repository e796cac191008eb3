import * as aws from '@pulumi/aws';

const cache = new Map<string, boolean>();

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
