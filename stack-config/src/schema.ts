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
  })
  .strict();

export const ServiceSchema = z
  .object({
    image: z.string().min(1),
    strategy: z.enum(['canary', 'blue-green', 'rolling']).default('rolling'),
    /** API keys are required outside dev; the keys live in a Secret, never in config. */
    auth: z.boolean().default(true),
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
  })
  .strict();

export type StackConfig = z.infer<typeof StackConfigSchema>;
export type GpuNodeGroup = z.infer<typeof GpuNodeGroupSchema>;
