import type { GpuNodeGroup, Sla, StackConfig } from '@ml-platform/stack-config';

/**
 * The stack config with every default resolved, so components get complete, typed values and the
 * defaults live in one place. Pure: no Pulumi here.
 */
export interface PlatformSettings {
  project: string;
  stack: string;
  environment: StackConfig['environment'];
  region: string;
  /** `local`: Kubernetes parts only, against the current kubeconfig, CPU only, nothing on AWS. */
  isLocal: boolean;
  isProd: boolean;
  sla: Sla;
  network: {
    cidr: string;
    availabilityZones: number;
    natGateways: 'single' | 'one-per-az';
    natGatewayCount: number;
  };
  cluster?: {
    name: string;
    adminPrincipalArns: string[];
    version: string;
    systemNodes: { instanceType: string; min: number; max: number; diskSizeGb: number };
    gpuNodeGroups: GpuNodeGroup[];
  };
  nodeAutoscaler: 'cluster-autoscaler' | 'karpenter';
  pods: {
    minReplicas: number;
    maxReplicas: number;
    keda: boolean;
    targetQueueDepthPerPod: number;
    targetCpuPct: number;
  };
  redis?: {
    nodeType: string;
    replicas: number;
    multiAz: boolean;
    automaticFailover: boolean;
    atRestEncryption: boolean;
  };
  rateLimit: { requestsPerSecond: number; burst: number };
  budget?: {
    monthlyLimitUsd: number;
    alertThresholdsPct: number[];
    emails: string[];
    costAllocationTag: string;
  };
  service: {
    name: string;
    namespace: string;
    image: string;
    strategy: 'canary' | 'blue-green' | 'rolling';
    auth: boolean;
    port: number;
    gpu: boolean;
    resources: { cpu: string; memory: string };
    requestTimeoutMs: number;
  };
  monitoring: {
    namespace: string;
    alertEmails: string[];
    webhookUrl?: string;
    driftThreshold: number;
    queueSaturationDepth: number;
    p99AlertMs: number;
  };
  ingress: {
    enabled: boolean;
    host?: string;
    certificateArn?: string;
    wafRateLimitPer5Min?: number;
    scheme: 'internet-facing' | 'internal';
  };
  modelStore: { bucketName?: string; prefix: string };
  /** Applied to every taggable AWS resource; the budget filters on `costAllocationTag`. */
  tags: Record<string, string>;
}

export const DEFAULT_COST_ALLOCATION_TAG = 'ml-platform-stack';
export const SYSTEM_NODE_DISK_GB = 50;

/**
 * A request that has waited ten p99s has already broken the SLA; answering it late only steals
 * capacity from requests that can still meet it. Clamped so tiny SLAs still allow a cold cache.
 */
export function requestTimeoutMs(sla: Sla): number {
  return Math.min(30_000, Math.max(1_000, Math.round(sla.p99LatencyMs * 10)));
}

export function resolveSettings(cfg: StackConfig, stack: string, project = 'ml-platform'): PlatformSettings {
  const isLocal = cfg.environment === 'local';
  const isProd = cfg.environment === 'prod';
  const availabilityZones = cfg.network?.availabilityZones ?? (isProd ? 3 : 2);
  const natGateways = cfg.network?.natGateways ?? (isProd ? 'one-per-az' : 'single');
  const gpuGroups = cfg.cluster?.gpuNodeGroups ?? [];
  const costAllocationTag = cfg.budget?.costAllocationTag ?? DEFAULT_COST_ALLOCATION_TAG;
  return {
    project,
    stack,
    environment: cfg.environment,
    region: cfg.region,
    isLocal,
    isProd,
    sla: cfg.sla,
    network: {
      cidr: cfg.network?.cidr ?? '10.0.0.0/16',
      availabilityZones,
      natGateways,
      natGatewayCount: isLocal ? 0 : natGateways === 'one-per-az' ? availabilityZones : 1,
    },
    cluster: cfg.cluster && {
      name: `${project}-${stack}`,
      adminPrincipalArns: cfg.cluster.adminPrincipalArns ?? [],
      version: cfg.cluster.version,
      systemNodes: { ...cfg.cluster.systemNodes, diskSizeGb: SYSTEM_NODE_DISK_GB },
      gpuNodeGroups: gpuGroups,
    },
    nodeAutoscaler: cfg.autoscaling.nodes,
    pods: {
      minReplicas: cfg.autoscaling.pods.minReplicas,
      maxReplicas: cfg.autoscaling.pods.maxReplicas,
      keda: cfg.autoscaling.pods.keda,
      targetQueueDepthPerPod: cfg.autoscaling.pods.targetQueueDepthPerPod ?? 10,
      targetCpuPct: cfg.autoscaling.pods.targetCpuPct ?? 70,
    },
    redis: cfg.redis && {
      nodeType: cfg.redis.nodeType,
      replicas: cfg.redis.replicas,
      multiAz: cfg.redis.replicas >= 1 && (isProd || cfg.environment === 'staging'),
      automaticFailover: cfg.redis.replicas >= 1,
      atRestEncryption: cfg.redis.atRestEncryption ?? true,
    },
    rateLimit: cfg.rateLimit,
    budget: cfg.budget && {
      monthlyLimitUsd: cfg.budget.monthlyLimitUsd,
      alertThresholdsPct: [...cfg.budget.alertThresholdsPct].sort((a, b) => a - b),
      emails: cfg.budget.emails,
      costAllocationTag,
    },
    service: {
      name: 'inference',
      namespace: 'inference',
      image: cfg.service.image,
      strategy: cfg.service.strategy,
      auth: cfg.service.auth,
      port: cfg.service.port ?? 8080,
      gpu: !isLocal && (cfg.service.gpu ?? gpuGroups.length > 0),
      resources: cfg.service.resources ?? { cpu: isLocal ? '250m' : '2', memory: isLocal ? '512Mi' : '8Gi' },
      requestTimeoutMs: requestTimeoutMs(cfg.sla),
    },
    monitoring: {
      namespace: 'monitoring',
      alertEmails: cfg.monitoring?.alertEmails ?? cfg.budget?.emails ?? [],
      webhookUrl: cfg.monitoring?.webhookUrl,
      driftThreshold: cfg.monitoring?.driftThreshold ?? 0.2,
      queueSaturationDepth: cfg.monitoring?.queueSaturationDepth ?? 50,
      p99AlertMs: cfg.monitoring?.p99AlertMs ?? cfg.sla.p99LatencyMs,
    },
    ingress: {
      enabled: cfg.ingress?.enabled ?? !isLocal,
      host: cfg.ingress?.host,
      certificateArn: cfg.ingress?.certificateArn,
      // Default for shared stacks: one client may send the whole stack's per-key rate for 5 minutes.
      wafRateLimitPer5Min:
        cfg.ingress?.wafRateLimitPer5Min ??
        (isProd || cfg.environment === 'staging'
          ? Math.max(100, Math.round(cfg.rateLimit.requestsPerSecond * 300))
          : undefined),
      scheme: cfg.ingress?.scheme ?? 'internet-facing',
    },
    modelStore: { bucketName: cfg.modelStore?.bucketName, prefix: cfg.modelStore?.prefix ?? 'models/' },
    tags: {
      project,
      stack,
      environment: cfg.environment,
      'managed-by': 'pulumi',
      [costAllocationTag]: stack,
    },
  };
}
