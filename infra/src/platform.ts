import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { NodeAutoscaling } from './autoscaling/node-autoscaling';
import { PodAutoscaling } from './autoscaling/pod-autoscaling';
import {
  estimateMonthlyCost,
  hourlyRates,
  podCostPerHour,
  requestTimeoutMs,
  type StackConfig,
} from '@ml-platform/stack-config';
import { Budget } from './budget/budget';
import { Cluster, STORAGE_CLASS } from './cluster/cluster';
import { GpuNodeGroups } from './gpu/gpu-node-groups';
import { gpuNodeSelector, systemNodeSelector } from './k8s/scheduling';
import { Monitoring } from './monitoring/monitoring';
import { Network } from './network/network';
import { IN_CLUSTER_REDIS_LABELS, REDIS_PORT, Redis } from './redis/redis';
import { registerStackTagging, stackTags } from './tagging';
import { ServiceWorkload } from './workload/service-workload';

/** Where the stack puts the service and the monitoring stack in Kubernetes. */
export const SERVICE_NAMESPACE = 'inference';
export const MONITORING_NAMESPACE = 'monitoring';

/** Composes the components for one stack from its resolved config and returns its outputs. */
export async function createPlatform(
  s: StackConfig,
  stack: string,
  project: string,
): Promise<Record<string, unknown>> {
  const isLocal = s.environment === 'local';
  const isProd = s.environment === 'prod';
  const tags = stackTags(s, stack, project);
  if (!isLocal) registerStackTagging(tags);
  const costEstimate = estimateMonthlyCost(s);

  let provider: k8s.Provider;
  let ready: pulumi.Resource[] = [];
  let network: Network | undefined;
  let cluster: Cluster | undefined;
  if (!isLocal && s.cluster) {
    const clusterName = `${project}-${stack}`;
    network = new Network('network', {
      clusterName,
      region: s.region,
      cidr: s.network.cidr,
      availabilityZones: s.network.availabilityZones,
      natGateways: s.network.natGateways,
    });
    cluster = new Cluster('cluster', {
      name: clusterName,
      version: s.cluster.version,
      region: s.region,
      vpcId: network.vpcId,
      privateSubnetIds: network.privateSubnetIds,
      publicSubnetIds: network.publicSubnetIds,
      systemNodes: s.cluster.systemNodes,
      adminPrincipalArns: s.cluster.adminPrincipalArns,
      loadBalancerController: s.ingress.enabled,
      deletionProtection: isProd,
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
    serviceNamespace: SERVICE_NAMESPACE,
    namespace: MONITORING_NAMESPACE,
    driftThreshold: s.monitoring.driftThreshold,
    queueSaturationDepth: s.monitoring.queueSaturationDepth,
    p99AlertMs: s.monitoring.p99AlertMs,
    confidenceShiftThreshold: s.monitoring.confidenceShiftThreshold,
    budget: s.budget,
    alertEmails: s.monitoring.alertEmails,
    webhookUrl: s.monitoring.webhookUrl,
    aws: cluster && { clusterName: cluster.name, region: s.region, storageClass: STORAGE_CLASS },
    cost: hourlyRates(costEstimate),
    dependsOn: ready,
  });

  if (cluster && s.cluster && network) {
    const karpenter = s.autoscaling.nodes === 'karpenter';
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
      mode: s.autoscaling.nodes,
      clusterName: cluster.name,
      region: s.region,
      partition: cluster.partition,
      accountId: cluster.accountId,
      gpuNodeGroups: s.cluster.gpuNodeGroups,
      provider,
      tags,
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
            // A replica in another AZ is what makes failover survive an AZ outage; dev saves the cost.
            multiAz: s.redis.replicas >= 1 && (isProd || s.environment === 'staging'),
            atRestEncryption: s.redis.atRestEncryption,
            vpcId: network.vpcId,
            subnetIds: network.privateSubnetIds,
            clientSecurityGroupId: cluster.nodeSecurityGroupId,
            alarmTopicArn: monitoring.topic?.arn,
            snapshotRetentionDays: isProd ? 7 : 1,
            secretName: `${cluster.name}/redis`,
          }
        : undefined,
    dependsOn: ready,
  });

  const workload = new ServiceWorkload('inference', {
    namespace: SERVICE_NAMESPACE,
    provider,
    image: s.service.image,
    port: s.service.port,
    strategy: s.service.strategy,
    sla: s.sla,
    rateLimit: s.rateLimit,
    requestTimeoutMs: requestTimeoutMs(s.sla),
    podCostPerHourUsd: podCostPerHour(s).usdPerHour,
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
    namespace: SERVICE_NAMESPACE,
    target: workload.scaleTarget,
    ...s.autoscaling.pods,
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
      costAllocationTag: { key: s.budget.costAllocationTag, value: stack },
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
