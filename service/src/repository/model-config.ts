import { DATATYPES } from '@ml-platform/contract/names';
import { z } from 'zod';

/**
 * The per-model `config.json`, modelled on Triton's model configuration. Inputs and outputs come
 * from the ONNX file itself; `input`/`output` here may only narrow them (fix a dynamic dimension,
 * hide an output), never contradict them.
 */
const TensorConfigSchema = z
  .object({
    name: z.string().min(1),
    datatype: z.enum(DATATYPES).optional(),
    /** Shape without the batch dimension; -1 keeps a dimension dynamic. */
    dims: z.array(z.number().int().min(-1)).optional(),
    /** Class names by index, one per line, for the classification extension (as Triton's). */
    label_filename: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must be a file name in the model directory')
      .optional(),
  })
  .strict();

const VersionPolicySchema = z.union([
  z.object({ latest: z.object({ num_versions: z.number().int().min(1).max(100) }).strict() }).strict(),
  z.object({ all: z.object({}).strict() }).strict(),
  z.object({ specific: z.object({ versions: z.array(z.number().int().min(1)).min(1) }).strict() }).strict(),
]);

const DynamicBatchingSchema = z
  .object({
    max_queue_delay_microseconds: z.number().int().min(0).max(1_000_000).default(1000),
    preferred_batch_size: z.array(z.number().int().min(1)).default([]),
    /**
     * Rows one batch may hold, summed over its requests, which are never split; at least
     * max_batch_size, which still bounds each request. Defaults to max_batch_size (Triton's rule).
     * Raising it lets many multi-row requests share one onnxruntime run (docs/benchmarks.md).
     */
    max_batch_rows: z.number().int().min(1).max(65_536).optional(),
    max_queue_size: z.number().int().min(1).max(100_000).default(1024),
    default_timeout_microseconds: z.number().int().min(1).max(600_000_000).optional(),
  })
  .strict();

const SessionSchema = z
  .object({
    intra_op_num_threads: z.number().int().min(0).max(64).default(0),
    inter_op_num_threads: z.number().int().min(0).max(64).default(0),
    graph_optimization_level: z.enum(['disabled', 'basic', 'extended', 'all']).default('all'),
    execution_providers: z
      .array(z.enum(['cpu', 'cuda']))
      .min(1)
      .default(['cpu']),
  })
  .strict();

/** Sessions per version, summed over the groups: each runs a batch at the same time as the others. */
const MAX_INSTANCES = 16;

/**
 * Triton's instance_group: `count` sessions of every version, fed by its one batcher, each on an
 * onnxruntime thread of its own beyond the first (runtime/session-pool.ts). CPU only here: the
 * execution provider is chosen by session.execution_providers, not by the group.
 */
const InstanceGroupSchema = z
  .object({
    name: z.string().min(1).optional(),
    kind: z
      .enum(['KIND_AUTO', 'KIND_CPU'], {
        error: 'must be "KIND_CPU" or "KIND_AUTO" (GPU use is session.execution_providers: ["cuda"])',
      })
      .default('KIND_AUTO'),
    count: z
      .number({ error: 'must be an integer number of instances' })
      .int({ error: 'must be an integer number of instances' })
      .min(1, { error: 'must be at least 1 instance' })
      .max(MAX_INSTANCES, { error: `must be at most ${MAX_INSTANCES} instances` })
      .default(1),
  })
  .strict();

const WarmupSchema = z
  .object({
    /** Batch sizes to run with generated inputs before the version reports ready. */
    batch_sizes: z.array(z.number().int().min(1)).default([1]),
    iterations: z.number().int().min(0).max(100).default(1),
  })
  .strict();

const CacheSchema = z
  .object({
    enabled: z.boolean().default(false),
    ttl_seconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .default(300),
  })
  .strict();

const FallbackSchema = z
  .object({
    /** A simpler, cheaper model that answers while this one's breaker is open. */
    model: z.string().min(1).optional(),
    version: z.string().min(1).optional(),
    /** Answer from the prediction cache when the model and its fallback cannot. */
    use_cache: z.boolean().default(true),
  })
  .strict();

const BreakerSchema = z
  .object({
    error_threshold_percentage: z.number().min(1).max(100).default(50),
    volume_threshold: z.number().int().min(1).default(10),
    reset_timeout_ms: z.number().int().min(100).max(600_000).default(5000),
    rolling_count_timeout_ms: z.number().int().min(100).max(600_000).default(10_000),
  })
  .strict();

const weightPct = z.number().min(0).max(100);

/** Which version answers a request when the URL names none (see service/src/traffic/router.ts). */
const TrafficSchema = z
  .object({
    /** The version that serves when no canary or A/B rule applies; default: the newest served. */
    stable: z.string().min(1).optional(),
    canary: z
      .object({ version: z.string().min(1), weight_pct: weightPct })
      .strict()
      .optional(),
    ab: z
      .object({
        /** Request header whose value sticks a caller to one variant. */
        key_header: z.string().regex(/^[a-z0-9-]+$/, 'must be a lowercase header name'),
        variants: z
          .array(
            z.object({ name: z.string().min(1), version: z.string().min(1), weight_pct: weightPct }).strict(),
          )
          .min(2),
      })
      .strict()
      .refine((ab) => Math.abs(ab.variants.reduce((s, v) => s + v.weight_pct, 0) - 100) < 1e-9, {
        message: 'variant weight_pct values must add up to 100',
        path: ['variants'],
      })
      .optional(),
    shadow: z
      .object({ version: z.string().min(1), sample_pct: weightPct })
      .strict()
      .optional(),
  })
  .strict();

const DriftSchema = z
  .object({
    /** Reference profile recorded at training time, relative to the model directory. */
    reference_profile: z.string().min(1).default('reference-profile.json'),
    window_rows: z.number().int().min(10).max(1_000_000).default(1000),
    /** PSI above which the drift alert fires. */
    psi_threshold: z.number().positive().default(0.25),
  })
  .strict();

/** Model-quality monitoring of a classifier's outputs (service/src/quality/quality-observer.ts). */
const QualitySchema = z
  .object({
    /** The output holding the class scores ([batch, classes]); its top-1 is the confidence. */
    scores_output: z.string().min(1),
    /** Per-version profiles of the held-out data's scores, relative to the model directory. */
    reference_profile: z.string().min(1).default('quality-profile.json'),
    window_rows: z.number().int().min(10).max(1_000_000).default(1000),
    /** PSI of the confidence distribution above which the confidence alert fires. */
    shift_threshold: z.number().positive().default(0.25),
  })
  .strict();

/** The accuracy gate of `npm run model:optimize` (models/optimize); the service itself ignores it. */
const OptimizationSchema = z
  .object({
    /** Largest allowed fall of the task metric: accuracy points as a fraction, or MAE's rise in its units. */
    max_metric_drop: z.number().min(0, 'must be >= 0 (a fall of the metric, not a gain)'),
    /** Smallest allowed share of held-out rows whose top-1 label the optimised model keeps. */
    min_agreement: z.number().min(0).max(1, 'must be a share between 0 and 1, e.g. 0.99'),
    /** Share of unpinned requests a published optimised version gets as the canary. */
    canary_weight_pct: weightPct.default(10),
  })
  .strict();

/** The model's service level: the rollout controller judges a canary's latency against it. */
const SlaSchema = z.object({ p99_latency_ms: z.number().positive().max(600_000) }).strict();

/**
 * Automatic canary analysis of new versions (see service/src/rollout/controller.ts). The defaults
 * roll a failing canary back within about two windows (20 s), inside the 30 s target.
 */
const RolloutSchema = z
  .object({
    /** Start a rollout when a new version is published into the repository (and loaded). */
    auto_start: z.boolean().default(false),
    steps: z
      .array(z.number().gt(0).max(100))
      .min(1)
      .default([10, 25, 50, 100])
      .refine((s) => s.every((w, i) => i === 0 || w > s[i - 1]), { message: 'steps must increase' }),
    window_seconds: z.number().min(0.5).max(3600).default(10),
    /** Canary requests a window needs before it is judged at all. */
    min_requests: z.number().int().min(1).default(20),
    /** Consecutive healthy windows before the next step, and at the last step before promotion. */
    healthy_windows: z.number().int().min(1).max(1000).default(1),
    /** Non-inferiority margin: how much higher the canary's error ratio may be than stable's. */
    error_margin: z.number().min(0).max(1).default(0.02),
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    /** Which checks judge a window; drift, confidence_shift and shadow_agreement are optional signals, off by default. */
    checks: z
      .object({
        error_ratio: z.boolean().default(true),
        latency: z.boolean().default(true),
        drift: z.boolean().default(false),
        confidence_shift: z.boolean().default(false),
        shadow_agreement: z.boolean().default(false),
      })
      .strict()
      .default({
        error_ratio: true,
        latency: true,
        drift: false,
        confidence_shift: false,
        shadow_agreement: false,
      }),
    /** PSI above which the canary's drift score fails a window; default: the model's drift.psi_threshold. */
    drift_psi_threshold: z.number().positive().optional(),
    /** PSI above which the canary's confidence shift fails a window; default: the model's quality.shift_threshold. */
    confidence_shift_threshold: z.number().positive().optional(),
    /** Share of shadow rows on which the canary must agree with stable. */
    min_shadow_agreement: z
      .number()
      .min(0)
      .max(1, 'must be a share between 0 and 1, e.g. 0.95')
      .default(0.95),
    /** Compared shadow rows needed before the agreement is judged. */
    min_shadow_rows: z.number().int().min(1).default(100),
  })
  .strict();

export const ModelConfigSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, 'must be a model name of letters, digits, _ . -'),
    description: z.string().default(''),
    platform: z.literal('onnxruntime_onnx').default('onnxruntime_onnx'),
    /** 0: the model has no batch dimension and runs one request at a time. */
    max_batch_size: z.number().int().min(0).max(4096),
    input: z.array(TensorConfigSchema).optional(),
    output: z.array(TensorConfigSchema).optional(),
    version_policy: VersionPolicySchema.default({ latest: { num_versions: 1 } }),
    dynamic_batching: DynamicBatchingSchema.optional(),
    session: SessionSchema.default({
      intra_op_num_threads: 0,
      inter_op_num_threads: 0,
      graph_optimization_level: 'all',
      execution_providers: ['cpu'],
    }),
    instance_group: z.array(InstanceGroupSchema).min(1).optional(),
    warmup: WarmupSchema.default({ batch_sizes: [1], iterations: 1 }),
    cache: CacheSchema.default({ enabled: false, ttl_seconds: 300 }),
    fallback: FallbackSchema.optional(),
    circuit_breaker: BreakerSchema.optional(),
    traffic: TrafficSchema.optional(),
    drift: DriftSchema.optional(),
    quality: QualitySchema.optional(),
    optimization: OptimizationSchema.optional(),
    sla: SlaSchema.optional(),
    rollout: RolloutSchema.optional(),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const b = cfg.dynamic_batching;
    if (b && cfg.max_batch_size === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['dynamic_batching'],
        message: 'needs max_batch_size >= 1: a model without a batch dimension cannot batch',
      });
    }
    const rowsCap = b?.max_batch_rows;
    if (rowsCap !== undefined && rowsCap < cfg.max_batch_size) {
      ctx.addIssue({
        code: 'custom',
        path: ['dynamic_batching', 'max_batch_rows'],
        message: `must be >= max_batch_size (${cfg.max_batch_size}) so that a whole request fits in a batch, got ${rowsCap}`,
      });
    }
    const cap =
      rowsCap === undefined ? `max_batch_size (${cfg.max_batch_size})` : `max_batch_rows (${rowsCap})`;
    for (const [i, size] of (b?.preferred_batch_size ?? []).entries()) {
      if (size > batchRowCap(cfg)) {
        ctx.addIssue({
          code: 'custom',
          path: ['dynamic_batching', 'preferred_batch_size', i],
          message: `must be <= ${cap}, got ${size}`,
        });
      }
    }
    if (cfg.instance_group && instanceCount(cfg) > MAX_INSTANCES) {
      ctx.addIssue({
        code: 'custom',
        path: ['instance_group'],
        message: `the counts add up to ${instanceCount(cfg)} instances; at most ${MAX_INSTANCES} per version`,
      });
    }
    const checks = cfg.rollout?.checks;
    if (checks?.drift && !cfg.drift) {
      ctx.addIssue({
        code: 'custom',
        path: ['rollout', 'checks', 'drift'],
        message: 'needs a drift block: the canary drift score is computed against its reference profile',
      });
    }
    if (checks?.confidence_shift && !cfg.quality) {
      ctx.addIssue({
        code: 'custom',
        path: ['rollout', 'checks', 'confidence_shift'],
        message:
          'needs a quality block: the confidence shift is computed against its held-out reference profile',
      });
    }
    if (checks?.shadow_agreement && !cfg.traffic?.shadow) {
      ctx.addIssue({
        code: 'custom',
        path: ['rollout', 'checks', 'shadow_agreement'],
        message: 'needs traffic.shadow: agreement is only measured while the canary version is shadowed',
      });
    }
    // At 100% stable serves nothing to shadow: the controller holds below 100% until the agreement
    // has judged (rollout/controller.ts), which a rollout starting there could never do.
    if (checks?.shadow_agreement && cfg.rollout?.steps[0] === 100) {
      ctx.addIssue({
        code: 'custom',
        path: ['rollout', 'steps'],
        message:
          'a shadow_agreement rollout needs a first step below 100: at 100 stable serves nothing to shadow',
      });
    }
  });

export type ModelConfig = z.infer<typeof ModelConfigSchema>;

/** Sessions per version that run batches at once: the instance_group counts added up, 1 without one. */
export function instanceCount(config: Pick<ModelConfig, 'instance_group'>): number {
  return (config.instance_group ?? [{ count: 1 }]).reduce((sum, g) => sum + g.count, 0);
}

/**
 * Rows one batch may hold: dynamic_batching.max_batch_rows, else max_batch_size (Triton's rule);
 * never below max_batch_size, so that a whole request always fits.
 */
export function batchRowCap(config: Pick<ModelConfig, 'max_batch_size' | 'dynamic_batching'>): number {
  return Math.max(config.dynamic_batching?.max_batch_rows ?? 0, config.max_batch_size);
}
