import { z } from 'zod';
import { maxCostPer1kWithinBudget } from './budget-rates';
import { SlaSchema } from './sla';

export const DEFAULT_COST_ALLOCATION_TAG = 'ml-platform-stack';

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
      .object({
        instanceType: z.string().min(1),
        min: bounded(100),
        max: bounded(100),
        /** Root volume of each system node in GiB. Defaults to 50. */
        diskSizeGb: z.number().int().min(20).max(2000).default(50),
      })
      .strict()
      .superRefine(minNotAboveMax),
    gpuNodeGroups: z.array(GpuNodeGroupSchema).default([]),
    /** IAM principals (users or roles) granted cluster-admin through EKS access entries. Defaults to none. */
    adminPrincipalArns: z
      .array(
        z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:(role|user)\/.+$/, 'must be an IAM role or user ARN'),
      )
      .default([]),
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
        /** KEDA target: queued requests per pod before another replica is added. Defaults to 10. */
        targetQueueDepthPerPod: z.number().int().min(1).max(10_000).default(10),
        /** HPA target when KEDA is off: average CPU utilisation in percent. Defaults to 70. */
        targetCpuPct: z.number().int().min(10).max(100).default(70),
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
    /** At-rest encryption of snapshots and swap; the guardrails reject false. Defaults to true. */
    atRestEncryption: z.boolean().default(true),
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
    /** Cost allocation tag key the budget filters on; its value is the stack name. Defaults to `ml-platform-stack`. */
    costAllocationTag: z
      .string()
      .regex(/^[A-Za-z0-9_.:/=+@-]{1,128}$/, 'must be a valid AWS tag key (1-128 chars)')
      .default(DEFAULT_COST_ALLOCATION_TAG),
    /**
     * inference:cost_per_1k_predictions_usd above this for 30 minutes alerts. Defaults to the
     * budget spread over a month of the SLA's peak traffic (see maxCostPer1kWithinBudget); the
     * guardrails reject a higher one.
     */
    maxCostPer1kPredictionsUsd: z.number().positive().max(1_000_000).optional(),
  })
  .strict();

export const ServiceSchema = z
  .object({
    image: z.string().min(1),
    /** How a new image rolls out. Defaults to `rolling`. */
    strategy: z.enum(['canary', 'blue-green', 'rolling']).default('rolling'),
    /** API keys are required outside dev; the keys live in a Secret, never in config. Defaults to true. */
    auth: z.boolean().default(true),
    /** Container port (the service's PORT). Defaults to 8080. */
    port: z.number().int().min(1024).max(65535).default(8080),
    /**
     * Run on the GPU node groups (requests nvidia.com/gpu). Defaults to true when GPU node groups
     * exist; always false in `local`, which has no GPU nodes.
     */
    gpu: z.boolean().optional(),
    /**
     * Per-pod requests; limits are set equal for memory and GPU (Guaranteed-ish QoS). Defaults to
     * 2 CPUs and 8Gi, or 250m and 512Mi in `local`.
     */
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
    /** VPC CIDR. Defaults to 10.0.0.0/16. */
    cidr: z
      .string()
      .regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|20)$/, 'must be an IPv4 CIDR with a /16 to /20 prefix')
      .default('10.0.0.0/16'),
    /** Availability zones to span, at least 2. Defaults to 3 in prod, 2 elsewhere. */
    availabilityZones: z.number().int().min(2).max(6).optional(),
    /** NAT gateways: one per AZ or a single one. Defaults to `one-per-az` in prod, `single` elsewhere. */
    natGateways: z.enum(['single', 'one-per-az']).optional(),
  })
  .strict();

export const MonitoringSchema = z
  .object({
    /** SNS topic subscriptions for alerts. Defaults to the budget emails (none in `local`). */
    alertEmails: z.array(z.string().email()).optional(),
    /** Alertmanager webhook receiver (e.g. a chat bridge); SNS is used when unset. */
    webhookUrl: z.string().url().optional(),
    /** drift_score above this for 15 minutes alerts. Defaults to 0.2. */
    driftThreshold: z.number().gt(0).max(1).default(0.2),
    /** inference_queue_depth per pod above this alerts as saturation. Defaults to 50. */
    queueSaturationDepth: z.number().int().min(1).max(100_000).default(50),
    /** p99 latency alert threshold in ms; the guardrails reject one above the SLA. Defaults to the SLA's p99. */
    p99AlertMs: z.number().positive().max(60_000).optional(),
    /** model_confidence_shift (PSI) above this for 15 minutes alerts. Defaults to 0.25. */
    confidenceShiftThreshold: z.number().gt(0).max(10).default(0.25),
  })
  .strict();

export const IngressSchema = z
  .object({
    /** Expose the service through a load balancer. Defaults to true, false in `local`. */
    enabled: z.boolean().optional(),
    host: z
      .string()
      .regex(/^[a-z0-9.-]+$/, 'must be a DNS name')
      .optional(),
    /** ACM certificate ARN: set it to terminate TLS at the load balancer. */
    certificateArn: z
      .string()
      .regex(/^arn:aws[\w-]*:acm:/, 'must be an ACM certificate ARN')
      .optional(),
    /**
     * WAF rate-based rule: requests per 5 minutes per client IP; unset disables the WAF. Defaults in
     * staging and prod to the stack's per-key rate for 5 minutes (`rateLimit.requestsPerSecond` x 300,
     * at least 100): one client may send no more than the whole stack's per-key rate.
     */
    wafRateLimitPer5Min: z.number().int().min(100).max(2_000_000_000).optional(),
    /** internet-facing or internal ALB. Defaults to `internet-facing`. */
    scheme: z.enum(['internet-facing', 'internal']).default('internet-facing'),
  })
  .strict();

export const ModelStoreSchema = z
  .object({
    /** Existing bucket name; unset creates a versioned, encrypted, private bucket. */
    bucketName: z
      .string()
      .regex(/^[a-z0-9.-]{3,63}$/, 'must be an S3 bucket name')
      .optional(),
    /** Prefix the service reads its model repository from. Defaults to `models/`. */
    prefix: z.string().default('models/'),
  })
  .strict();

const StackConfigFields = z
  .object({
    environment: z.enum(ENVIRONMENTS),
    /** AWS region; must match `aws:region` when that is set. Defaults to us-east-1. */
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
    network: NetworkSchema.prefault({}),
    monitoring: MonitoringSchema.prefault({}),
    ingress: IngressSchema.prefault({}),
    modelStore: ModelStoreSchema.prefault({}),
  })
  .strict();

export const StackConfigSchema = StackConfigFields.superRefine((cfg, ctx) => {
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
    cfg.network.availabilityZones !== undefined &&
    cfg.network.availabilityZones < 3
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['network', 'availabilityZones'],
      message: 'must be >= 3 in prod',
    });
  }
}).transform(resolveDefaults);

type Validated = z.output<typeof StackConfigFields>;

/**
 * The defaults that depend on another option (the environment, the SLA, the budget, the rate limit),
 * which a field's own `.default()` cannot see. Each is documented on its option above.
 */
function resolveDefaults(cfg: Validated) {
  const isLocal = cfg.environment === 'local';
  const isProd = cfg.environment === 'prod';
  const shared = isProd || cfg.environment === 'staging';
  const gpuGroups = cfg.cluster?.gpuNodeGroups ?? [];
  return {
    ...cfg,
    network: {
      ...cfg.network,
      availabilityZones: cfg.network.availabilityZones ?? (isProd ? 3 : 2),
      natGateways: cfg.network.natGateways ?? (isProd ? 'one-per-az' : 'single'),
    },
    service: {
      ...cfg.service,
      gpu: !isLocal && (cfg.service.gpu ?? gpuGroups.length > 0),
      resources: cfg.service.resources ?? { cpu: isLocal ? '250m' : '2', memory: isLocal ? '512Mi' : '8Gi' },
    },
    budget: cfg.budget && {
      ...cfg.budget,
      maxCostPer1kPredictionsUsd:
        cfg.budget.maxCostPer1kPredictionsUsd ??
        maxCostPer1kWithinBudget(cfg.budget.monthlyLimitUsd, cfg.sla),
    },
    monitoring: {
      ...cfg.monitoring,
      alertEmails: cfg.monitoring.alertEmails ?? cfg.budget?.emails ?? [],
      p99AlertMs: cfg.monitoring.p99AlertMs ?? cfg.sla.p99LatencyMs,
    },
    ingress: {
      ...cfg.ingress,
      enabled: cfg.ingress.enabled ?? !isLocal,
      wafRateLimitPer5Min:
        cfg.ingress.wafRateLimitPer5Min ??
        (shared ? Math.max(100, Math.round(cfg.rateLimit.requestsPerSecond * 300)) : undefined),
    },
  } satisfies Validated;
}

/** A stack's config with every default resolved: what the program, the pack and the load tests read. */
export type StackConfig = z.output<typeof StackConfigSchema>;
/** A stack's config as written in `Pulumi.<stack>.yaml`, before defaults. */
export type StackConfigInput = z.input<typeof StackConfigSchema>;
export type GpuNodeGroup = z.output<typeof GpuNodeGroupSchema>;
