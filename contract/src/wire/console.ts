import { z } from 'zod';
import { MODEL_STATES } from '../names/datatypes';
import { wireSchemas } from './registry';
import { ExperimentReportSchema, RolloutStatusSchema } from './rollout';

/** The per-interval values the console charts; service/src/console/series.ts derives them. */
export const CONSOLE_POINT_FIELDS = [
  'reqPerSec',
  'p50Ms',
  'p95Ms',
  'p99Ms',
  'errorRatio',
  'cacheHitRatio',
  'meanBatchSize',
  'driftScore',
  'confidenceShift',
  'costPer1k',
] as const;

const perField = <T extends z.ZodType>(schema: T) =>
  z.strictObject(
    Object.fromEntries(CONSOLE_POINT_FIELDS.map((f) => [f, schema])) as Record<
      (typeof CONSOLE_POINT_FIELDS)[number],
      T
    >,
  );

export const ConsoleRolloutSchema = z
  .strictObject({
    role: z.enum(['stable', 'canary']).describe("This version's part in the model's rollout."),
    scope: RolloutStatusSchema.shape.scope,
    state: RolloutStatusSchema.shape.state,
    paused: z.boolean(),
    step: z.number().int().nullable().describe('Index into `steps` while a canary runs.'),
    steps: z.array(z.number()).describe('Canary weights (%) of the steps, from the model config.'),
    weightPct: z.number().min(0).max(100).describe('The share of traffic the rollout gives this version.'),
    history: z
      .array(RolloutStatusSchema.shape.history.element.omit({ evidence: true }))
      .describe('The decisions, oldest first, each with its reason.'),
  })
  // Not registered: a nullable $ref has no OpenAPI 3.0 form, so it is written out where it is used.
  .describe('As GET /v2/models/{m}/rollout answers the worker that serves this status.');

export const ConsoleVersionSchema = z
  .strictObject({
    version: z.string(),
    state: z.enum(MODEL_STATES),
    reason: z.string(),
    breaker: z.enum(['closed', 'half-open', 'open']),
    traffic: z.array(
      z.strictObject({
        variant: z.string().describe('stable, canary, ab:<variant> or shadow.'),
        weightPct: z.number().min(0).max(100),
      }),
    ),
    rollout: ConsoleRolloutSchema.nullable().describe(
      'null: the version takes no part in a rollout (none was ever started for its model).',
    ),
    recent: perField(z.number().nullable())
      .extend({ requests: z.number().min(0) })
      .nullable()
      .describe('Over the last `summarySeconds`; null until two samples exist.'),
  })
  .register(wireSchemas, { id: 'ConsoleVersion' });

/** GET /v2/console/status: what the operator console shows (docs/console.md). */
export const ConsoleStatusSchema = z
  .strictObject({
    generatedAt: z.string().describe('ISO 8601 time of this answer.'),
    intervalSeconds: z.number().min(0).describe('Sampling interval.'),
    windowSeconds: z.number().min(0).describe('How far back the series go at most.'),
    summarySeconds: z.number().min(0).describe("The window of each version's `recent`."),
    health: z.strictObject({
      workers: z.number().int().min(1),
      redis: z.enum(['up', 'down', 'not configured']),
      rateLimit: z.strictObject({
        mode: z
          .enum(['global', 'local'])
          .describe('global: one budget shared through Redis; local: each process admits its share.'),
        processesSharing: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe('Without Redis: the worker processes the budget is split between.'),
      }),
    }),
    models: z.array(
      z.strictObject({
        name: z.string(),
        versions: z.array(ConsoleVersionSchema),
        // A copy of the registered schema, written out: a nullable $ref has no OpenAPI 3.0 form.
        experiment: z
          .object(ExperimentReportSchema.shape)
          .nullable()
          .describe('GET /v2/models/{m}/experiment; null when the model has no A/B split.'),
      }),
    ),
    series: z.strictObject({
      t: z.array(z.number()).describe('End of each interval, ms since the epoch, oldest first.'),
      versions: z.array(
        z.strictObject({
          model: z.string(),
          version: z.string().describe('Empty for failed requests that named no version.'),
          points: perField(z.array(z.number().nullable())).describe('One array per field, aligned with `t`.'),
        }),
      ),
    }),
  })
  .describe(
    'What the operator console shows, sampled once per interval from what GET /metrics serves (every cluster worker aggregated).',
  )
  .register(wireSchemas, { id: 'ConsoleStatus' });
