import { stringify } from 'yaml';
import type { CostEstimate } from '@ml-platform/stack-config';
import type { SynthResource } from './run';

/** A Kubernetes object the program declares (not a provider, Helm release or the stack itself). */
export function isKubernetesObject(r: SynthResource): boolean {
  return (
    r.custom &&
    r.type.startsWith('kubernetes:') &&
    !r.type.startsWith('pulumi:providers:') &&
    !r.type.startsWith('kubernetes:helm.sh/') &&
    typeof r.inputs.kind === 'string' &&
    typeof r.inputs.apiVersion === 'string'
  );
}

/** The rendered Kubernetes objects, keyed by a file name that is unique and stable per stack. */
export function renderManifests(resources: SynthResource[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const r of resources.filter(isKubernetesObject)) {
    const meta = (r.inputs.metadata ?? {}) as { name?: string; namespace?: string };
    const base = [meta.namespace ?? 'cluster', String(r.inputs.kind).toLowerCase(), meta.name ?? r.name]
      .join('_')
      .replace(/[^A-Za-z0-9_.-]/g, '-');
    let file = `${base}.yaml`;
    for (let n = 2; files.has(file); n++) file = `${base}-${n}.yaml`;
    // kubectl, the API server and Helm read YAML 1.1, where plain `no`, `on` or `y` are booleans:
    // writing with the 1.1 schema quotes such strings, and YAML 1.2 readers see the same values.
    files.set(file, stringify(r.inputs, { sortMapEntries: false, version: '1.1' }));
  }
  return files;
}

/** Resources as an indented tree by parent, one line each: `type name`. */
export function renderTree(resources: SynthResource[]): string {
  const children = new Map<string | undefined, SynthResource[]>();
  for (const r of resources) {
    const list = children.get(r.parent) ?? [];
    list.push(r);
    children.set(r.parent, list);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const r of children.get(parent) ?? []) {
      lines.push(`${'  '.repeat(depth)}${depth > 0 ? '└─ ' : ''}${r.type}  ${r.name}`);
      walk(r.urn, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

const usd = (n: number) =>
  `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export function renderCostEstimate(c: CostEstimate): string {
  const rows = c.lines.map(
    (l) =>
      `  ${l.item.padEnd(58)} ${`${l.minQuantity}-${l.maxQuantity}`.padStart(6)} × ${usd(l.unitMonthlyUsd).padStart(10)}` +
      `  = ${usd(l.minMonthlyUsd).padStart(11)} .. ${usd(l.maxMonthlyUsd).padStart(11)}`,
  );
  const budget =
    c.budgetMonthlyUsd === undefined
      ? 'no budget configured'
      : `budget ${usd(c.budgetMonthlyUsd)} (${c.maxMonthlyUsd <= c.budgetMonthlyUsd ? 'max scale fits' : 'MAX SCALE EXCEEDS BUDGET'})`;
  return [
    `Estimated monthly cost (${c.region} list prices as of ${c.priceTableDate}, ${c.hoursPerMonth} h/month):`,
    ...rows,
    `  min scale ${usd(c.minMonthlyUsd)}, max scale ${usd(c.maxMonthlyUsd)}; ${budget}`,
    `  excludes: ${c.excludes.join('; ')}`,
  ].join('\n');
}

/** `resources.json` entries: what the policy gate reads. */
export function resourcesJson(
  resources: SynthResource[],
): { type: string; name: string; urn: string; parent?: string; inputs: Record<string, unknown> }[] {
  // Sorted by URN so that re-running synth on an unchanged program gives a byte-identical file.
  return [...resources]
    .sort((a, b) => a.urn.localeCompare(b.urn))
    .map((r) => ({
      type: r.type,
      name: r.name,
      urn: r.urn,
      ...(r.parent ? { parent: r.parent } : {}),
      inputs: r.inputs,
    }));
}
