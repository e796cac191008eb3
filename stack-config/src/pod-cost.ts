import { priceOf } from './cost-estimate';
import { PRICE_TABLE, type PriceTable } from './price-table';
import type { StackConfig } from './schema';

/** vCPUs and memory (GiB) of the instance types in the price table: what a pod takes a share of. */
export const INSTANCE_SHAPES: Readonly<Record<string, { vcpu: number; memoryGib: number }>> = {
  't3.medium': { vcpu: 2, memoryGib: 4 },
  't3.large': { vcpu: 2, memoryGib: 8 },
  't3.xlarge': { vcpu: 4, memoryGib: 16 },
  'm6i.large': { vcpu: 2, memoryGib: 8 },
  'm6i.xlarge': { vcpu: 4, memoryGib: 16 },
  'm6i.2xlarge': { vcpu: 8, memoryGib: 32 },
  'm7i.large': { vcpu: 2, memoryGib: 8 },
  'm7i.xlarge': { vcpu: 4, memoryGib: 16 },
  'c6i.xlarge': { vcpu: 4, memoryGib: 8 },
  'g4dn.xlarge': { vcpu: 4, memoryGib: 16 },
  'g4dn.2xlarge': { vcpu: 8, memoryGib: 32 },
  'g5.xlarge': { vcpu: 4, memoryGib: 16 },
  'g5.2xlarge': { vcpu: 8, memoryGib: 32 },
  'g5.4xlarge': { vcpu: 16, memoryGib: 64 },
  'g6.xlarge': { vcpu: 4, memoryGib: 16 },
  'g6.2xlarge': { vcpu: 8, memoryGib: 32 },
};

export interface PodCost {
  usdPerHour: number;
  /** The node the pod is priced on, or `none` for a stack without cloud nodes (local). */
  instanceType: string;
  capacityType: 'ON_DEMAND' | 'SPOT' | 'none';
  /** The pod's share of that node (0..1). */
  share: number;
}

/** Kubernetes CPU quantity ("500m", "2") in cores. */
export function cpuCores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

/** Kubernetes memory quantity ("512Mi", "8Gi") in GiB. */
export function memoryGib(quantity: string): number {
  const unit = { Ki: 1 / 1024 ** 2, Mi: 1 / 1024, Gi: 1 }[quantity.slice(-2)];
  if (unit === undefined) throw new Error(`memory quantity ${quantity}: expected Ki, Mi or Gi`);
  return Number(quantity.slice(0, -2)) * unit;
}

/**
 * What one inference pod costs per hour, for the service's POD_COST_PER_HOUR_USD: the price of the
 * node it runs on times its share of that node. On a GPU node the share is its GPUs over the node's;
 * on a shared CPU node it is the larger of its CPU and memory requests over the node's, the resource
 * that keeps other pods off. Like the cost estimate, it prices Spot at the on-demand rate and a group
 * of several instance types at its dearest: an upper bound, never an under-estimate.
 */
export function podCostPerHour(cfg: StackConfig, table: PriceTable = PRICE_TABLE): PodCost {
  const cluster = cfg.cluster;
  if (!cluster) return { usdPerHour: 0, instanceType: 'none', capacityType: 'none', share: 0 };
  const round = (usd: number) => Number(usd.toPrecision(6));
  if (cfg.service.gpu) {
    const candidates = cluster.gpuNodeGroups.flatMap((g) =>
      g.instanceTypes.map((t) => ({ type: t, capacityType: g.capacityType, price: priceOf(table.ec2, t) })),
    );
    if (candidates.length === 0) throw new Error('service.gpu is set but the cluster has no GPU node groups');
    const dearest = candidates.reduce((a, b) => (b.price > a.price ? b : a));
    const gpus = table.ec2Gpus[dearest.type];
    if (!gpus) throw new Error(`price table: no GPU count for ${dearest.type}`);
    const share = 1 / gpus;
    return {
      usdPerHour: round(dearest.price * share),
      instanceType: dearest.type,
      capacityType: dearest.capacityType,
      share,
    };
  }
  const type = cluster.systemNodes.instanceType;
  const shape = INSTANCE_SHAPES[type];
  if (!shape) throw new Error(`no vCPU and memory size for instance type ${type}`);
  const { cpu, memory } = cfg.service.resources;
  const share = Math.min(1, Math.max(cpuCores(cpu) / shape.vcpu, memoryGib(memory) / shape.memoryGib));
  return {
    usdPerHour: round(priceOf(table.ec2, type) * share),
    instanceType: type,
    capacityType: 'ON_DEMAND',
    share,
  };
}
