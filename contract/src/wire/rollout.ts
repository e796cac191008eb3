import { z } from 'zod';
import { wireSchemas } from './registry';

/**
 * The model rollout API (GET/POST /v2/models/{m}/rollout) and the A/B experiment API (POST
 * /v2/models/{m}/feedback, GET /v2/models/{m}/experiment), as service/src/rollout and
 * service/src/experiment answer them.
 */
export const RolloutActionSchema = z
  .object({
    action: z.enum(['start', 'pause', 'resume', 'promote', 'rollback']),
    /** The canary version; required by start. */
    version: z.string().min(1).optional(),
  })
  .register(wireSchemas, { id: 'RolloutAction' });

const armCounts = z.object({ requests: z.number().int(), errors: z.number().int() });

const WindowReportSchema = z.object({
  window: z.number().int(),
  verdict: z.enum(['healthy', 'unhealthy', 'insufficient']),
  stable: armCounts,
  canary: armCounts,
  checks: z.array(
    z.object({
      check: z.enum(['error_ratio', 'latency', 'drift', 'confidence_shift', 'shadow_agreement']),
      passed: z.boolean(),
      /** false: the check had no evidence yet and passed for want of it; absent in older reports. */
      judged: z.boolean().optional(),
      detail: z.string(),
    }),
  ),
});

export const RolloutStatusSchema = z
  .object({
    model: z.string(),
    /** shared: one state in Redis for every replica; process: this replica alone. */
    scope: z.enum(['shared', 'process']),
    note: z.string().optional(),
    state: z.enum(['stable', 'canary', 'promoted', 'rolled_back']),
    paused: z.boolean(),
    versions: z.object({ stable: z.string().nullable(), canary: z.string().nullable() }),
    weights: z.object({ stable: z.number(), canary: z.number() }),
    step: z.number().int().nullable(),
    healthyWindows: z.number().int(),
    /**
     * Why the rollout neither promotes nor steps up yet: a switched-on check has judged nothing in
     * this rollout (before promotion, any such check; before a step into 100%, one whose evidence
     * needs stable traffic, as shadow agreement does). Null when it can go on.
     */
    waiting: z.string().nullable(),
    policy: z.object({}).passthrough(),
    currentWindow: z.object({ stable: armCounts, canary: armCounts }).optional(),
    lastWindow: WindowReportSchema.nullable(),
    history: z.array(
      z.object({
        at: z.string(),
        kind: z.enum(['start', 'step', 'promote', 'rollback', 'pause', 'resume', 'hold']),
        by: z.enum(['controller', 'api']),
        version: z.string(),
        weightPct: z.number(),
        reason: z.string(),
        evidence: WindowReportSchema.optional(),
      }),
    ),
  })
  .register(wireSchemas, { id: 'RolloutStatus' });

export const FeedbackSchema = z
  .object({
    /** The x-request-id of the inference response. */
    id: z.string().min(1),
    label: z.union([z.string(), z.number()]).optional(),
    value: z.number().optional(),
    reward: z.number().optional(),
  })
  .register(wireSchemas, { id: 'Feedback' });

export const FeedbackAcceptedSchema = z
  .object({ id: z.string(), variant: z.string(), correct: z.boolean().optional() })
  .register(wireSchemas, { id: 'FeedbackAccepted' });

export const ExperimentReportSchema = z
  .object({
    model: z.string(),
    scope: z.enum(['shared', 'process']),
    keyHeader: z.string().nullable(),
    /** accuracy or mean_reward; null before any feedback (a nullable enum has no OpenAPI 3.0 form). */
    metric: z.string().nullable(),
    variants: z.array(
      z.object({
        variant: z.string(),
        version: z.string(),
        requests: z.number().int(),
        feedback: z.number().int(),
        meanLatencyMs: z.number().nullable(),
        outcome: z
          .object({ metric: z.string(), n: z.number().int(), value: z.number(), ci95: z.array(z.number()) })
          .nullable(),
      }),
    ),
    significance: z.object({}).passthrough().nullable(),
    winner: z.string().nullable(),
    samplesNeeded: z.number().int().nullable(),
    verdict: z.string(),
  })
  .register(wireSchemas, { id: 'ExperimentReport' });
