import { allocationSites, type HeapProfile, type HeapProfileNode } from '../bench/allocation-sites';

const node = (id: number, functionName: string, url: string, children: HeapProfileNode[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber: 0 },
  children,
});

// root -> handle (ours) -> processHeader (node's); root -> encode (ours)
const profile: HeapProfile = {
  head: node(1, '(root)', '', [
    node(2, 'handle', 'file:///x/service/src/http/handler.ts', [
      node(3, 'processHeader', 'node:_http_outgoing'),
    ]),
    node(4, 'encode', 'file:///x/service/src/protocol/encode.ts'),
  ]),
  samples: [
    { size: 64, nodeId: 3 },
    { size: 64, nodeId: 3 },
    { size: 4096, nodeId: 4 },
  ],
};

describe('allocationSites (the bench allocation reading)', () => {
  it('scales each sample by its odds of being sampled and sums by allocating function', () => {
    const sites = allocationSites(profile, 256);
    // A 64-byte object is sampled with probability 1 - e^(-1/4): each stands for ~4.5 objects.
    const small = 1 / (1 - Math.exp(-64 / 256));
    // A 4096-byte one is nearly always sampled.
    const large = 1 / (1 - Math.exp(-16));
    expect(sites.map((s) => s.site)).toEqual(['encode encode.ts', 'processHeader node:_http_outgoing']);
    expect(sites[0].objects).toBeCloseTo(large, 9);
    expect(sites[0].bytes).toBeCloseTo(4096 * large, 6);
    expect(sites[1].objects).toBeCloseTo(2 * small, 9);
    expect(sites[1].bytes).toBeCloseTo(128 * small, 6);
  });

  it('charges allocations inside node to the innermost frame of our own source', () => {
    const own = (url: string) => url.includes('/service/src/');
    const sites = allocationSites(profile, 256, own);
    expect(sites.map((s) => s.site)).toEqual(['encode encode.ts', 'handle handler.ts']);
    expect(sites[1].objects).toBeCloseTo(2 / (1 - Math.exp(-64 / 256)), 9);
  });

  it('leaves a sample without an own frame at its allocating function', () => {
    const sites = allocationSites(profile, 256, (url) => url.includes('/nowhere/'));
    expect(sites.map((s) => s.site)).toContain('processHeader node:_http_outgoing');
  });
});
