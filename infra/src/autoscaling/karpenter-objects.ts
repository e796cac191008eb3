import type { IEC2NodeClass } from '@kubernetes-models/karpenter/karpenter.k8s.aws/v1/EC2NodeClass';
import type { INodePool } from '@kubernetes-models/karpenter/karpenter.sh/v1/NodePool';
import type { GpuNodeGroup } from '@ml-platform/stack-config';
import { gpuNodeLabels } from '../gpu/node-template-tags';
import { GPU_RESOURCE, GPU_TAINT } from '../k8s/scheduling';

export interface KarpenterObjectOptions {
  clusterName: string;
  /** IAM role name of the nodes Karpenter launches. */
  nodeRoleName: string;
  tags: Record<string, string>;
}

/** The launch settings of one GPU group: AL2023 (Karpenter picks its NVIDIA variant), IMDSv2, encrypted gp3. */
export function gpuNodeClass(o: KarpenterObjectOptions, group: GpuNodeGroup): IEC2NodeClass {
  return {
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name: `gpu-${group.name}` },
    spec: {
      role: o.nodeRoleName,
      amiSelectorTerms: [{ alias: 'al2023@latest' }],
      subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': o.clusterName } }],
      securityGroupSelectorTerms: [{ tags: { 'aws:eks:cluster-name': o.clusterName } }],
      metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 },
      blockDeviceMappings: [
        {
          deviceName: '/dev/xvda',
          ebs: {
            volumeSize: `${group.diskSizeGb}Gi`,
            volumeType: 'gp3',
            encrypted: true,
            deleteOnTermination: true,
          },
        },
      ],
      tags: o.tags,
    },
  };
}

/**
 * A GPU NodePool: the group's instance types and capacity type, the GPU taint and labels, a GPU limit
 * of `max` nodes' worth, and consolidation so idle GPU nodes go away (the pool's floor is zero nodes).
 */
export function gpuNodePool(group: GpuNodeGroup, gpusPerNode: number): INodePool {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: `gpu-${group.name}` },
    spec: {
      template: {
        metadata: { labels: gpuNodeLabels(group.name) },
        spec: {
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: `gpu-${group.name}` },
          requirements: [
            { key: 'node.kubernetes.io/instance-type', operator: 'In', values: [...group.instanceTypes] },
            {
              key: 'karpenter.sh/capacity-type',
              operator: 'In',
              values: [group.capacityType === 'SPOT' ? 'spot' : 'on-demand'],
            },
            { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
          ],
          taints: [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: GPU_TAINT.effect }],
          expireAfter: '720h',
        },
      },
      limits: { [GPU_RESOURCE]: String(group.max * gpusPerNode) },
      disruption: {
        consolidationPolicy: 'WhenEmptyOrUnderutilized',
        consolidateAfter: '5m',
        budgets: [{ nodes: '10%' }],
      },
    },
  };
}

/** EventBridge patterns whose events Karpenter drains nodes for ahead of time. */
export const INTERRUPTION_EVENTS = {
  'spot-interruption': { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] },
  rebalance: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance Rebalance Recommendation'] },
  'instance-state-change': { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] },
  'scheduled-change': { source: ['aws.health'], 'detail-type': ['AWS Health Event'] },
} as const;
