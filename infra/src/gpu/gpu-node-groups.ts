import * as aws from '@pulumi/aws';
import * as eks from '@pulumi/eks';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { GpuNodeGroup } from '@ml-platform/stack-config';
import { PRICE_TABLE } from '@ml-platform/stack-config';
import { CHARTS } from '../k8s/charts';
import { helmRelease } from '../k8s/helm';
import { kube } from '../k8s/kube';
import { GPU_TAINT, GPU_TOLERATION, gpuNodeSelector } from '../k8s/scheduling';
import { dcgmExporterObjects } from './dcgm';
import { gpuNodeLabels, nodeTemplateTags } from './node-template-tags';

/** Upper bound on nodes per group: a typo in `max` must not order a fleet. */
export const MAX_GPU_NODES_PER_GROUP = 100;

export interface GpuNodeGroupsArgs {
  clusterName: string;
  nodeRoleArn: pulumi.Input<string>;
  subnetIds: pulumi.Input<string[]>;
  groups: GpuNodeGroup[];
  /**
   * `managed-node-groups`: one EKS managed node group per entry (with Cluster Autoscaler tags).
   * `karpenter`: no node groups; NodeAutoscaling turns the entries into NodePools. Default managed.
   */
  provisioner?: 'managed-node-groups' | 'karpenter';
  provider: k8s.Provider;
  /** Namespace for the DCGM exporter. Default `gpu-monitoring`. */
  namespace?: string;
  /** Resources that must exist first: the system nodes and the ServiceMonitor CRD. */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** GPUs one node of the group brings (the smallest of its instance types, so scale-up never over-promises). */
export function gpusPerNode(group: GpuNodeGroup): number {
  return Math.min(...group.instanceTypes.map((t) => PRICE_TABLE.ec2Gpus[t] ?? 1));
}

/**
 * GPU capacity on the NVIDIA AL2023 AMI, tainted `nvidia.com/gpu=true:NoSchedule` so only GPU workloads
 * land there, allowed to sit at zero nodes, with a bounded max; plus the NVIDIA device plugin (the AMI
 * ships the driver) and the DCGM exporter with its ServiceMonitor.
 */
export class GpuNodeGroups extends pulumi.ComponentResource {
  readonly nodeGroups: aws.eks.NodeGroup[] = [];

  constructor(name: string, args: GpuNodeGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ml-platform:gpu:GpuNodeGroups', name, {}, opts);
    for (const g of args.groups) {
      if (g.min > g.max)
        throw new Error(`GpuNodeGroups ${name}: group ${g.name} min (${g.min}) must be <= max (${g.max})`);
      if (g.max > MAX_GPU_NODES_PER_GROUP) {
        throw new Error(
          `GpuNodeGroups ${name}: group ${g.name} max (${g.max}) must be <= ${MAX_GPU_NODES_PER_GROUP}`,
        );
      }
    }
    if ((args.provisioner ?? 'managed-node-groups') === 'managed-node-groups') {
      for (const g of args.groups) this.nodeGroups.push(this.managedGroup(args, g));
    }
    if (args.groups.length === 0) {
      this.registerOutputs({});
      return;
    }
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
    helmRelease(
      'nvidia-device-plugin',
      CHARTS.nvidiaDevicePlugin,
      'kube-system',
      {
        nodeSelector: { ...gpuNodeSelector },
        tolerations: [{ ...GPU_TOLERATION }],
        priorityClassName: 'system-node-critical',
      },
      k8sOpts,
    );
    const namespace = args.namespace ?? 'gpu-monitoring';
    const ns = kube(
      namespace,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      k8sOpts,
    );
    const dcgm = dcgmExporterObjects(namespace);
    const inNs = { ...k8sOpts, dependsOn: [...(args.dependsOn ?? []), ns] };
    kube('dcgm-exporter', dcgm.daemonSet, inNs);
    kube('dcgm-exporter', dcgm.service, inNs);
    kube('dcgm-exporter', dcgm.serviceMonitor, inNs);
    this.registerOutputs({ nodeGroups: this.nodeGroups.map((n) => n.nodeGroupName) });
  }

  private managedGroup(args: GpuNodeGroupsArgs, g: GpuNodeGroup): aws.eks.NodeGroup {
    const templateTags = nodeTemplateTags(args.clusterName, g.name, gpusPerNode(g), g.diskSizeGb);
    const group = new aws.eks.NodeGroup(
      `gpu-${g.name}`,
      {
        clusterName: args.clusterName,
        nodeRoleArn: args.nodeRoleArn,
        subnetIds: args.subnetIds,
        amiType: eks.AmiType.AL2023X86_64Nvidia,
        capacityType: g.capacityType,
        instanceTypes: g.instanceTypes,
        diskSize: g.diskSizeGb,
        scalingConfig: { minSize: g.min, maxSize: g.max, desiredSize: g.min },
        updateConfig: { maxUnavailable: 1 },
        labels: gpuNodeLabels(g.name),
        taints: [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: 'NO_SCHEDULE' }],
        tags: templateTags,
      },
      { parent: this, dependsOn: args.dependsOn, ignoreChanges: ['scalingConfig.desiredSize'] },
    );
    // EKS does not copy node group tags to its Auto Scaling group, where the Cluster Autoscaler reads them.
    const asgName = group.resources.apply((r) => r[0]?.autoscalingGroups?.[0]?.name ?? '');
    for (const [key, value] of Object.entries(templateTags)) {
      new aws.autoscaling.Tag(
        `gpu-${g.name}-${key.replace(/[^A-Za-z0-9]+/g, '-')}`,
        { autoscalingGroupName: asgName, tag: { key, value, propagateAtLaunch: false } },
        { parent: this },
      );
    }
    return group;
  }
}
