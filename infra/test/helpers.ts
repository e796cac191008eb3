import type { SynthResource } from '../src/synth/run';

/** Rendered inputs are untyped JSON; tests walk them freely and assert on what they find. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export function ofType(resources: SynthResource[], type: string): SynthResource[] {
  return resources.filter((r) => r.type === type);
}

export function one(resources: SynthResource[], type: string, name?: string): SynthResource {
  const found = ofType(resources, type).filter((r) => name === undefined || r.name === name);
  if (found.length !== 1) {
    throw new Error(
      `expected one ${type}${name ? ` named ${name}` : ''}, found ${found.length}: ${found.map((r) => r.name).join(', ')}`,
    );
  }
  return found[0];
}

/** The rendered Kubernetes object of kind `kind` named `name` (metadata.name). */
export function kubeObject(resources: SynthResource[], kind: string, name: string): Json {
  const found = resources.filter(
    (r) =>
      r.type.startsWith('kubernetes:') &&
      r.inputs.kind === kind &&
      (r.inputs.metadata as { name?: string } | undefined)?.name === name,
  );
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0].inputs as Json;
}

export function helmValues(resources: SynthResource[], release: string): Json {
  return one(resources, 'kubernetes:helm.sh/v3:Release', release).inputs.values as Json;
}
