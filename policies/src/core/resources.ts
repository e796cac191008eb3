/** The parts of a Pulumi resource every check reads: shaped like @pulumi/policy's PolicyResource. */
export interface PlainResource {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
}

export type Props = Record<string, unknown>;

/** `urn:pulumi:<stack>::<project>::<type chain>::<name>` */
export function stackOfUrn(urn: string): string | undefined {
  return /^urn:pulumi:([^:]+)::/.exec(urn)?.[1];
}

export function urnFor(stack: string, project: string, type: string, name: string): string {
  return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

export function asRecord(value: unknown): Props | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Props) : undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Follows a dotted path through nested records; undefined as soon as a step is missing. */
export function at(value: unknown, ...path: string[]): unknown {
  let cur = value;
  for (const key of path) {
    const rec = asRecord(cur);
    if (rec === undefined) return undefined;
    cur = rec[key];
  }
  return cur;
}

export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}
