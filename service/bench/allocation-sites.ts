/**
 * Allocations by site from a V8 sampling heap profile (`HeapProfiler.stopSampling`'s profile, the
 * `.heapprofile` format). Each sample is one sampled object; V8 samples an object of `size` bytes
 * with probability 1 - exp(-size / interval), so it stands for 1 / that many objects of its size.
 */

export interface HeapProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children: HeapProfileNode[];
}

export interface HeapProfile {
  head: HeapProfileNode;
  samples: { size: number; nodeId: number }[];
}

/** Estimated bytes and objects allocated at one site over the profiled window. */
export interface SiteTotal {
  site: string;
  bytes: number;
  objects: number;
}

// By function and file, without a line: a call frame's line is where its function starts, and in
// code that tsx compiled that is not the source's line.
const frameLabel = ({ callFrame: f }: HeapProfileNode) =>
  `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}`;

/**
 * Totals per site, largest first. A site is the innermost frame (`byOwnFrame`) or, with `ownFile`,
 * the innermost frame whose URL passes `ownFile` (say, our own source), so that an allocation inside
 * node's internals counts for the line of ours that led to it; samples without such a frame go to
 * the innermost frame.
 */
export function allocationSites(
  profile: HeapProfile,
  interval: number,
  ownFile?: (url: string) => boolean,
): SiteTotal[] {
  const chains = new Map<number, HeapProfileNode[]>();
  const walk = (node: HeapProfileNode, callers: HeapProfileNode[]) => {
    const chain = [node, ...callers];
    chains.set(node.id, chain);
    for (const child of node.children) walk(child, chain);
  };
  walk(profile.head, []);
  const totals = new Map<string, SiteTotal>();
  for (const { size, nodeId } of profile.samples) {
    const chain = chains.get(nodeId);
    if (!chain) continue;
    const frame = (ownFile && chain.find((n) => ownFile(n.callFrame.url))) || chain[0];
    const site = frameLabel(frame);
    const objects = 1 / (1 - Math.exp(-size / interval));
    const total = totals.get(site) ?? { site, bytes: 0, objects: 0 };
    total.bytes += size * objects;
    total.objects += objects;
    totals.set(site, total);
  }
  return [...totals.values()].sort((a, b) => b.bytes - a.bytes);
}
