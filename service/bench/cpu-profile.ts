import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/**
 * Self time per function (`name file:line`) in a `node --cpu-prof` profile, in µs, and the busy
 * time they add up to: idle samples and module loading (start-up) are left out.
 */
export function selfTimes(file: string): { busyUs: number; byFunction: Map<string, number> } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = ({ callFrame: f }: ProfileNode) =>
    `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}${f.url ? `:${f.lineNumber + 1}` : ''}`;
  const byNode = new Map<number, number>();
  profile.samples.forEach((id, k) => byNode.set(id, (byNode.get(id) ?? 0) + profile.timeDeltas[k]));
  const byFunction = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of byNode) {
    const own = label(nodes.get(id)!);
    if (own.startsWith('(idle)')) continue;
    let startUp = false;
    for (let at = parent.get(id); at !== undefined && !startUp; at = parent.get(at))
      startUp = nodes.get(at)!.callFrame.functionName === 'Module._load';
    if (startUp) continue;
    busyUs += us;
    byFunction.set(own, (byFunction.get(own) ?? 0) + us);
  }
  return { busyUs, byFunction };
}
