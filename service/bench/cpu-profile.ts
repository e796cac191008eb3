import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** A `node --cpu-prof` profile: each sampled node's self time in µs and its callers, innermost first. */
export interface CpuProfile {
  /** Self µs per node that was sampled, idle and start-up (module loading) left out. */
  selfUs: Map<number, number>;
  /** The node's frame and its callers' as `name file`, innermost first. */
  chain(id: number): string[];
}

const label = ({ callFrame: f }: ProfileNode) =>
  `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}`;

export function readCpuProfile(file: string): CpuProfile {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const chain = (id: number) => {
    const labels: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at))
      labels.push(label(nodes.get(at)!));
    return labels;
  };
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, k) => selfUs.set(id, (selfUs.get(id) ?? 0) + profile.timeDeltas[k]));
  for (const id of selfUs.keys()) {
    const labels = chain(id);
    if (labels[0].startsWith('(idle)') || labels.some((l) => l.startsWith('Module._load ')))
      selfUs.delete(id);
  }
  return { selfUs, chain };
}

/** Self time per function (`name file`) in µs, and the busy time they add up to. */
export function selfTimes(file: string): { busyUs: number; byFunction: Map<string, number> } {
  const profile = readCpuProfile(file);
  const byFunction = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of profile.selfUs) {
    const own = profile.chain(id)[0];
    busyUs += us;
    byFunction.set(own, (byFunction.get(own) ?? 0) + us);
  }
  return { busyUs, byFunction };
}
