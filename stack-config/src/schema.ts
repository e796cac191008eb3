import { z } from 'zod';
import { SlaSchema } from './sla';

export const ENVIRONMENTS = ['dev', 'staging', 'prod', 'local'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

const bounded = (max: number) => z.number().int().min(0).max(max);

function minNotAboveMax(v: { min: number; max: number }, ctx: z.RefinementCtx): void {
  if (v.min > v.max) {
    ctx.addIssue({ code: 'custom', path: ['min'], message: `must be <= max (${v.max}), got ${v.min}` });
  }
}

export const GpuNodeGroupSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be 1-32 lowercase letters, digits or dashes'),
    instanceTypes: z.array(z.string().min(1)).min(1),
    min: bounded(100).default(0),
    max: bounded(100),
    capacityType: z.enum(['ON_DEMAND', 'SPOT']).default('ON_DEMAND'),
    diskSizeGb: z.number().int().min(20).max(2000).default(100),
  })
  .strict()
  .superRefine(minNotAboveMax);

export const ClusterSchema = z
  .object({
    version: z.string().regex(/^1\.\d{2}$/, 'must be a Kubernetes minor version such as "1.33"'),
    systemNodes: z
      .object({ instanceType: z.string().min(1), min: bounded(100), max: bounded(100) })
      .strict()
      .superRefine(minNotAboveMax),
    gpuNodeGroups: z.array(GpuNodeGroupSchema).default([]),
    /** IAM principals (users or roles) granted cluster-admin through EKS access entries. */
    adminPrincipalArns: z
      .array(
        z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:(role|user)\/.+$/, 'must be an IAM role or user ARN'),
      )
      .optional(),
  })
  .strict();

export const AutoscalingSchema = z
  .object({
    nodes: z.enum(['cluster-autoscaler', 'karpenter']).default('cluster-autoscaler'),
    pods: z
      .object({
        minReplicas: z.number().int().min(1).max(1000),
        maxReplicas: z.number().int().min(1).max(1000),
        /** KEDA on the service's own metrics; false falls back to an HPA on CPU. */
        keda: z.boolean().default(true),
        /** KEDA target: queued requests per pod before another replica is added (infra default 10). */
        targetQueueDepthPerPod: z.number().int().min(1).max(10_000).optional(),
        /** HPA target when KEDA is off: average CPU utilisation in percent (infra default 70). */
        targetCpuPct: z.number().int().min(10).max(100).optional(),
      })
      .strict()
      .superRefine((v, ctx) => {
        if (v.minReplicas > v.maxReplicas) {
          ctx.addIssue({
            code: 'custom',
            path: ['minReplicas'],
            message: `must be <= maxReplicas (${v.maxReplicas}), got ${v.minReplicas}`,
          });
        }
      }),
  })
  .strict();

export const RedisSchema = z
  .object({
    nodeType: z.string().regex(/^cache\./, 'must be an ElastiCache node type such as cache.r7g.large'),
    /** Read replicas per shard; prod needs at least 1 for automatic failover. */
    replicas: z.number().int().min(0).max(5),
    /** At-rest encryption of snapshots and swap (infra default true); the guardrails reject false. */
    atRestEncryption: z.boolean().optional(),
  })
  .strict();

export const RateLimitSchema = z
  .object({
    requestsPerSecond: z.number().positive().max(1_000_000),
    burst: z.number().int().positive().max(10_000_000),
  })
  .strict();

export const BudgetSchema = z
  .object({
    monthlyLimitUsd: z.number().positive().max(10_000_000),
    alertThresholdsPct: z.array(z.number().positive().max(1000)).min(1),
    emails: z.array(z.string().email()).min(1),
    /** Cost allocation tag key the budget filters on; its value is the stack name (infra default `ml-platform-stack`). */
    costAllocationTag: z
      .string()
      .regex(/^[A-Za-z0-9_.:/=+@-]{1,128}$/, 'must be a valid AWS tag key (1-128 chars)')
      .optional(),
  })
  .strict();

export const ServiceSchema = z
  .object({
    image: z.string().min(1),
    strategy: z.enum(['canary', 'blue-green', 'rolling']).default('rolling'),
    /** API keys are required outside dev; the keys live in a Secret, never in config. */
    auth: z.boolean().default(true),
    /** Container port (the service's PORT; infra default 8080). */
    port: z.number().int().min(1024).max(65535).optional(),
    /** Run on the GPU node groups (requests nvidia.com/gpu); infra default: true when GPU groups exist. */
    gpu: z.boolean().optional(),
    /** Per-pod requests; limits are set equal for memory and GPU (Guaranteed-ish QoS). */
    resources: z
      .object({
        cpu: z.string().regex(/^\d+(\.\d+)?m?$/, 'must be a Kubernetes CPU quantity such as "500m" or "2"'),
        memory: z.string().regex(/^\d+(Ki|Mi|Gi)$/, 'must be a Kubernetes memory quantity such as "2Gi"'),
      })
      .strict()
      .optional(),
  })
  .strict();

export const NetworkSchema = z
  .object({
    cidr: z
      .string()
      .regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|20)$/, 'must be an IPv4 CIDR with a /16 to /20 prefix')
      .optional(),
    /** Availability zones to span: at least 2 (infra default: 3 in prod, 2 elsewhere). */
    availabilityZones: z.number().int().min(2).max(6).optional(),
    /** NAT gateways: one per AZ (prod default) or a single one (default elsewhere). */
    natGateways: z.enum(['single', 'one-per-az']).optional(),
  })
  .strict();

export const MonitoringSchema = z
  .object({
    /** SNS topic subscriptions for alerts (the budget emails are used when empty). */
    alertEmails: z.array(z.string().email()).optional(),
    /** Alertmanager webhook receiver (e.g. a chat bridge); SNS is used when unset. */
    webhookUrl: z.string().url().optional(),
    /** drift_score above this for 15 minutes alerts (infra default 0.2). */
    driftThreshold: z.number().gt(0).max(1).optional(),
    /** inference_queue_depth per pod above this alerts as saturation (infra default 50). */
    queueSaturationDepth: z.number().int().min(1).max(100_000).optional(),
    /** p99 latency alert threshold in ms (infra default: the SLA's p99); the guardrails reject one above the SLA. */
    p99AlertMs: z.number().positive().max(60_000).optional(),
  })
  .strict();

export const IngressSchema = z
  .object({
    enabled: z.boolean().default(true),
    host: z
      .string()
      .regex(/^[a-z0-9.-]+$/, 'must be a DNS name')
      .optional(),
    /** ACM certificate ARN: set it to terminate TLS at the load balancer. */
    certificateArn: z
      .string()
      .regex(/^arn:aws[\w-]*:acm:/, 'must be an ACM certificate ARN')
      .optional(),
    /** WAF rate-based rule: requests per 5 minutes per client IP; unset disables the WAF. */
    wafRateLimitPer5Min: z.number().int().min(100).max(2_000_000_000).optional(),
    /** internet-facing or internal ALB (infra default internet-facing). */
    scheme: z.enum(['internet-facing', 'internal']).optional(),
  })
  .strict();

export const ModelStoreSchema = z
  .object({
    /** Existing bucket name; unset creates a versioned, encrypted, private bucket. */
    bucketName: z
      .string()
      .regex(/^[a-z0-9.-]{3,63}$/, 'must be an S3 bucket name')
      .optional(),
    /** Prefix the service reads its model repository from (infra default `models/`). */
    prefix: z.string().optional(),
  })
  .strict();

export const StackConfigSchema = z
  .object({
    environment: z.enum(ENVIRONMENTS),
    region: z
      .string()
      .regex(/^[a-z]{2}-[a-z]+-\d$/, 'must be an AWS region such as us-east-1')
      .default('us-east-1'),
    sla: SlaSchema,
    cluster: ClusterSchema.optional(),
    autoscaling: AutoscalingSchema,
    redis: RedisSchema.optional(),
    rateLimit: RateLimitSchema,
    budget: BudgetSchema.optional(),
    service: ServiceSchema,
    network: NetworkSchema.optional(),
    monitoring: MonitoringSchema.optional(),
    ingress: IngressSchema.optional(),
    modelStore: ModelStoreSchema.optional(),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.environment === 'local') return;
    // A cloud stack without these would deploy something nobody can afford to run blind.
    for (const key of ['cluster', 'redis', 'budget'] as const) {
      if (cfg[key] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `is required when environment is "${cfg.environment}" (only "local" may omit it)`,
        });
      }
    }
    if (cfg.environment === 'prod' && cfg.redis !== undefined && cfg.redis.replicas < 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['redis', 'replicas'],
        message: 'must be >= 1 in prod (automatic failover needs a replica)',
      });
    }
    if (
      cfg.environment === 'prod' &&
      cfg.network?.availabilityZones !== undefined &&
      cfg.network.availabilityZones < 3
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['network', 'availabilityZones'],
        message: 'must be >= 3 in prod',
      });
    }
  });

export type StackConfig = z.infer<typeof StackConfigSchema>;
export type GpuNodeGroup = z.infer<typeof GpuNodeGroupSchema>;
export type NetworkConfig = z.infer<typeof NetworkSchema>;
export type MonitoringConfig = z.infer<typeof MonitoringSchema>;
export type IngressConfig = z.infer<typeof IngressSchema>;
export type ModelStoreConfig = z.infer<typeof ModelStoreSchema>;
