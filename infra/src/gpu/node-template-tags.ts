import { GPU_RESOURCE, GPU_TAINT, POOL_LABEL } from '../k8s/scheduling';

export const GPU_GROUP_LABEL = 'ml-platform/gpu-group';

/** Node labels of a GPU group: the pool (what workloads select) and the group name. */
export function gpuNodeLabels(group: string): Record<string, string> {
  return { [POOL_LABEL]: 'gpu', [GPU_GROUP_LABEL]: group };
}

/**
 * Auto Scaling group tags that describe a GPU node to the Cluster Autoscaler before one exists, so
 * a group at zero nodes can still be chosen for a pending pod that requests `nvidia.com/gpu`:
 * its labels, its taint and how many GPUs and how much disk one node brings.
 */
export function nodeTemplateTags(
  clusterName: string,
  group: string,
  gpusPerNode: number,
  diskSizeGb: number,
): Record<string, string> {
  const prefix = 'k8s.io/cluster-autoscaler/node-template';
  const labels = Object.fromEntries(
    Object.entries(gpuNodeLabels(group)).map(([k, v]) => [`${prefix}/label/${k}`, v]),
  );
  return {
    'k8s.io/cluster-autoscaler/enabled': 'true',
    [`k8s.io/cluster-autoscaler/${clusterName}`]: 'owned',
    ...labels,
    [`${prefix}/taint/${GPU_TAINT.key}`]: `${GPU_TAINT.value}:${GPU_TAINT.effect}`,
    [`${prefix}/resources/${GPU_RESOURCE}`]: String(gpusPerNode),
    [`${prefix}/resources/ephemeral-storage`]: `${diskSizeGb}G`,
  };
}
