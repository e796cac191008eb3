import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { NodeAutoscaling } from './autoscaling/node-autoscaling';
import { PodAutoscaling } from './autoscaling/pod-autoscaling';
import { Budget } from './budget/budget';
import { estimateMonthlyCost, hourlyRates } from './budget/cost-estimate';
import { Cluster, STORAGE_CLASS } from './cluster/cluster';
import { GpuNodeGroups } from './gpu/gpu-node-groups';
import { gpuNodeSelector, systemNodeSelector } from './k8s/scheduling';
import { Monitoring } from './monitoring/monitoring';
import { Network } from './network/network';
import { IN_CLUSTER_REDIS_LABELS, REDIS_PORT, Redis } from './redis/redis';
import type { PlatformSettings } from './settings';
import { registerStackTagging } from './tagging';
import { ServiceWorkload } from './workload/service-workload';

/** Composes the components for one stack and returns its outputs. */
export async function createPlatform(s: PlatformSettings): Promise<Record<string, unknown>> {
  if (!s.isLocal) registerStackTagging(s.tags);
  const costEstimate = estimateMonthlyCost(s);

  let provider: k8s.Provider;
  let ready: pulumi.Resource[] = [];
  let network: Network | undefined;
  let cluster: Cluster | undefined;
  if (!s.isLocal && s.cluster) {
    network = new Network('network', {
      clusterName: s.cluster.name,
      region: s.region,
      cidr: s.network.cidr,
      availabilityZones: s.network.availabilityZones,
      natGateways: s.network.natGateways,
    });
    cluster = new Cluster('cluster', {
      name: s.cluster.name,
      version: s.cluster.version,
      region: s.region,
      vpcId: network.vpcId,
      privateSubnetIds: network.privateSubnetIds,
      publicSubnetIds: network.publicSubnetIds,
      systemNodes: s.cluster.systemNodes,
      adminPrincipalArns: s.cluster.adminPrincipalArns,
      loadBalancerController: s.ingress.enabled,
      deletionProtection: s.isProd,
    });
    provider = cluster.provider;
    ready = cluster.ready;
  } else {
    // The local stack deploys into whatever cluster the current kubeconfig points at.
    provider = new k8s.Provider('local', { enableServerSideApply: true });
  }
  const onCloud = cluster !== undefined;

  const monitoring = new Monitoring('monitoring', {
    sla: s.sla,
    provider,
    serviceNamespace: s.service.namespace,
    namespace: s.monitoring.namespace,
    driftThreshold: s.monitoring.driftThreshold,
    queueSaturationDepth: s.monitoring.queueSaturationDepth,
    p99AlertMs: s.monitoring.p99AlertMs,
    alertEmails: s.monitoring.alertEmails,
    webhookUrl: s.monitoring.webhookUrl,
    aws: cluster && { clusterName: cluster.name, region: s.region, storageClass: STORAGE_CLASS },
    cost: hourlyRates(costEstimate),
    dependsOn: ready,
  });

  if (cluster && s.cluster && network) {
    const karpenter = s.nodeAutoscaler === 'karpenter';
    new GpuNodeGroups('gpu', {
      clusterName: cluster.name,
      nodeRoleArn: cluster.nodeRole.arn,
      subnetIds: network.privateSubnetIds,
      groups: s.cluster.gpuNodeGroups,
      provisioner: karpenter ? 'karpenter' : 'managed-node-groups',
      provider,
      dependsOn: [...ready, monitoring.release],
    });
    new NodeAutoscaling('node-autoscaling', {
      mode: s.nodeAutoscaler,
      clusterName: cluster.name,
      region: s.region,
      partition: cluster.partition,
      accountId: cluster.accountId,
      gpuNodeGroups: s.cluster.gpuNodeGroups,
      provider,
      tags: s.tags,
      alarmTopicArn: monitoring.topic?.arn,
      dependsOn: ready,
    });
  }

  const redis = new Redis('redis', {
    provider,
    elastiCache:
      cluster && network && s.redis
        ? {
            replicationGroupId: cluster.name,
            nodeType: s.redis.nodeType,
            replicas: s.redis.replicas,
            multiAz: s.redis.multiAz,
            atRestEncryption: s.redis.atRestEncryption,
            vpcId: network.vpcId,
            subnetIds: network.privateSubnetIds,
            clientSecurityGroupId: cluster.nodeSecurityGroupId,
            alarmTopicArn: monitoring.topic?.arn,
            snapshotRetentionDays: s.isProd ? 7 : 1,
            secretName: `${cluster.name}/redis`,
          }
        : undefined,
    dependsOn: ready,
  });

  const workload = new ServiceWorkload('inference', {
    namespace: s.service.namespace,
    provider,
    image: s.service.image,
    port: s.service.port,
    strategy: s.service.strategy,
    sla: s.sla,
    rateLimit: s.rateLimit,
    requestTimeoutMs: s.service.requestTimeoutMs,
    resources: s.service.resources,
    gpu: s.service.gpu,
    nodeSelector: onCloud ? (s.service.gpu ? gpuNodeSelector : systemNodeSelector) : undefined,
    auth: s.service.auth,
    redisUrl: redis.url,
    redisNetwork:
      onCloud && network
        ? { cidr: network.cidr }
        : { namespace: redis.namespace ?? 'redis', podLabels: IN_CLUSTER_REDIS_LABELS },
    redisPort: REDIS_PORT,
    prometheusUrl: monitoring.prometheusUrl,
    monitoringNamespace: monitoring.namespace,
    aws:
      cluster && network
        ? {
            clusterName: cluster.name,
            region: s.region,
            alarmTopicArn: monitoring.topic?.arn,
            vpcCidr: network.cidr,
            modelBucketName: s.modelStore.bucketName,
            modelPrefix: s.modelStore.prefix,
            apiKeySecretName: `${cluster.name}/api-key`,
            ingress: s.ingress.enabled
              ? {
                  scheme: s.ingress.scheme,
                  host: s.ingress.host,
                  certificateArn: s.ingress.certificateArn,
                  wafRateLimitPer5Min: s.ingress.wafRateLimitPer5Min,
                }
              : undefined,
          }
        : undefined,
    dependsOn: [...ready, monitoring.release],
  });

  new PodAutoscaling('pod-autoscaling', {
    namespace: s.service.namespace,
    target: workload.scaleTarget,
    minReplicas: s.pods.minReplicas,
    maxReplicas: s.pods.maxReplicas,
    keda: s.pods.keda,
    targetQueueDepthPerPod: s.pods.targetQueueDepthPerPod,
    targetCpuPct: s.pods.targetCpuPct,
    prometheusUrl: monitoring.prometheusUrl,
    provider,
    nodeSelector: onCloud ? systemNodeSelector : undefined,
    dependsOn: [workload, monitoring.release],
  });

  if (s.budget) {
    new Budget('budget', {
      monthlyLimitUsd: s.budget.monthlyLimitUsd,
      alertThresholdsPct: s.budget.alertThresholdsPct,
      emails: s.budget.emails,
      costAllocationTag: { key: s.budget.costAllocationTag, value: s.stack },
    });
  }

  return definedOnly({
    environment: s.environment,
    region: s.region,
    sla: s.sla,
    costEstimate,
    clusterName: cluster?.name,
    kubeconfig: cluster?.kubeconfig,
    vpcId: network?.vpcId,
    redisEndpoint: redis.endpoint,
    modelBucket: workload.modelBucketName,
    alertTopicArn: monitoring.topic?.arn,
    apiKey: workload.apiKey,
    endpoint: workload.endpoint,
    serviceName: workload.serviceName,
    serviceNamespace: workload.namespace,
    serviceStrategy: s.service.strategy,
  });
}

/**
 * Drops the outputs this stack does not have (the local stack has no cluster, VPC, bucket or alert
 * topic; a stack without auth has no API key): Pulumi would warn about each undefined one on every run.
 */
function definedOnly(outputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).filter(([, value]) => value !== undefined));
}
