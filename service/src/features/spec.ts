import { z } from 'zod';

/**
 * The declarative feature spec a model may ship as `features.json` next to its `config.json`: the
 * raw fields of a request record, the entity features looked up in the online store, the
 * transforms, and how the features map onto the model's input tensors. One spec serves training
 * (features:fit, features:materialize) and serving (POST /v2/models/{m}/predict), so the two
 * compute features with the same code.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const name = z.string().regex(NAME, `must match ${NAME}`);

export const FIELD_TYPES = ['number', 'string', 'timestamp', 'boolean'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

const FieldSchema = z
  .object({
    name,
    type: z.enum(FIELD_TYPES),
    required: z.boolean().default(false),
    default: z.union([z.number(), z.string(), z.boolean()]).optional(),
  })
  .strict();

/** `{field}` placeholders in an entity key, e.g. `airport:{origin}`. */
const KEY_PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

const EntitySchema = z
  .object({
    name,
    /** Template of the store key, from the record's fields: `airport:{origin}`. */
    key: z.string().regex(/\{[A-Za-z_][A-Za-z0-9_]*\}/, 'must contain at least one {field} placeholder'),
    /** How materialisation computes the value from events with the same key (point in time). */
    aggregate: z
      .object({
        op: z.enum(['mean', 'sum', 'count', 'max']),
        of: name,
        /** The last N events of the entity; omitted: all of them. */
        window: z.number().int().min(1).max(100_000).optional(),
      })
      .strict(),
    /** Older than this (record time minus the value's event time): treated as stale, default used. */
    max_age_seconds: z.number().positive(),
    default: z.number(),
  })
  .strict();

const input = z.object({ input: name });
const TransformSchema = z.discriminatedUnion('type', [
  input.extend({ type: z.literal('identity') }).strict(),
  input
    .extend({
      type: z.literal('standardize'),
      mean: z.number().optional(),
      std: z.number().positive().optional(),
    })
    .strict(),
  input
    .extend({ type: z.literal('minmax'), min: z.number().optional(), max: z.number().optional() })
    .strict(),
  input.extend({ type: z.literal('log1p') }).strict(),
  input.extend({ type: z.literal('clip'), min: z.number(), max: z.number() }).strict(),
  input
    .extend({
      type: z.literal('bucketize'),
      /** Given edges, or fitted as quantiles into `buckets` buckets. */
      edges: z.array(z.number()).min(1).optional(),
      buckets: z.number().int().min(2).max(1000).optional(),
    })
    .strict(),
  input
    .extend({
      type: z.literal('onehot'),
      /** Fitted: the most frequent values (at most max_vocabulary), then one out-of-vocabulary column. */
      vocabulary: z.array(z.string()).optional(),
      max_vocabulary: z.number().int().min(1).max(10_000).default(100),
    })
    .strict(),
  input.extend({ type: z.literal('hash'), buckets: z.number().int().min(2).max(100_000) }).strict(),
  input.extend({ type: z.literal('datepart'), part: z.enum(['hour', 'day_of_week', 'month']) }).strict(),
  z
    .object({
      type: z.literal('arithmetic'),
      op: z.enum(['add', 'sub', 'mul', 'div']),
      left: name,
      right: name,
    })
    .strict(),
]);

const FeatureSchema = z.object({ name, transform: TransformSchema }).strict();

export const TENSOR_DATATYPES = ['FP32', 'FP64'] as const;

const TensorMappingSchema = z
  .object({
    name: z.string().min(1),
    datatype: z.enum(TENSOR_DATATYPES),
    /** Feature names in column order; their widths add up to the tensor's last dimension. */
    features: z.array(name).min(1),
    /** `[-1, columns]` (-1: the batch); features:fit writes it from the fitted widths. */
    shape: z.tuple([z.literal(-1), z.number().int().min(1)]).optional(),
  })
  .strict();

export const FeatureSpecSchema = z
  .object({
    /** The model version this spec was fitted for; /predict serves that version. */
    model_version: z.string().regex(/^[1-9][0-9]*$/, 'must be a positive integer as a string'),
    /** The record's event time: point-in-time cut-off offline, staleness reference online. */
    time_field: name,
    fields: z.array(FieldSchema).min(1),
    entities: z.array(EntitySchema).default([]),
    features: z.array(FeatureSchema).min(1),
    inputs: z.array(TensorMappingSchema).min(1),
    /** The training label, for materialize: 1 when `field` > `gt`. */
    label: z.object({ field: name, gt: z.number() }).strict().optional(),
    limits: z
      .object({
        max_records: z.number().int().min(1).max(10_000).default(256),
        max_record_bytes: z.number().int().min(64).max(1_048_576).default(4096),
      })
      .strict()
      .default({ max_records: 256, max_record_bytes: 4096 }),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const fields = new Map(spec.fields.map((f) => [f.name, f]));
    const known = new Set<string>();
    const add = (n: string, path: (string | number)[]) => {
      if (known.has(n)) ctx.addIssue({ code: 'custom', path, message: `name '${n}' is declared twice` });
      known.add(n);
    };
    spec.fields.forEach((f, i) => add(f.name, ['fields', i, 'name']));
    const time = fields.get(spec.time_field);
    if (time?.type !== 'timestamp' || !time.required) {
      ctx.addIssue({
        code: 'custom',
        path: ['time_field'],
        message: `'${spec.time_field}' must name a required field of type timestamp`,
      });
    }
    spec.entities.forEach((e, i) => {
      for (const [, f] of e.key.matchAll(KEY_PLACEHOLDER)) {
        if (fields.get(f)?.type !== 'string' || !fields.get(f)?.required) {
          ctx.addIssue({
            code: 'custom',
            path: ['entities', i, 'key'],
            message: `placeholder {${f}} must name a required string field; allowed: ${requiredStrings(spec.fields)}`,
          });
        }
      }
      if (fields.get(e.aggregate.of)?.type !== 'number') {
        ctx.addIssue({
          code: 'custom',
          path: ['entities', i, 'aggregate', 'of'],
          message: `'${e.aggregate.of}' must name a number field`,
        });
      }
      add(e.name, ['entities', i, 'name']);
    });
    spec.features.forEach((f, i) => {
      const t = f.transform;
      for (const ref of t.type === 'arithmetic' ? [t.left, t.right] : [t.input]) {
        if (!known.has(ref)) {
          ctx.addIssue({
            code: 'custom',
            path: ['features', i, 'transform'],
            message: `'${ref}' is not a field, entity or earlier feature; allowed: ${[...known].join(', ')}`,
          });
        }
      }
      add(f.name, ['features', i, 'name']);
    });
    const featureNames = new Set(spec.features.map((f) => f.name));
    spec.inputs.forEach((m, i) =>
      m.features.forEach((f, j) => {
        if (!featureNames.has(f)) {
          ctx.addIssue({
            code: 'custom',
            path: ['inputs', i, 'features', j],
            message: `'${f}' is not a declared feature`,
          });
        }
      }),
    );
    if (spec.label && fields.get(spec.label.field)?.type !== 'number') {
      ctx.addIssue({ code: 'custom', path: ['label', 'field'], message: 'must name a number field' });
    }
  });

const requiredStrings = (fields: readonly { name: string; type: string; required: boolean }[]) =>
  fields
    .filter((f) => f.type === 'string' && f.required)
    .map((f) => f.name)
    .join(', ') || '(none)';

export type FeatureSpec = z.infer<typeof FeatureSpecSchema>;
export type FieldSpec = FeatureSpec['fields'][number];
export type EntitySpec = FeatureSpec['entities'][number];
export type FeatureDef = FeatureSpec['features'][number];
export type Transform = FeatureDef['transform'];

export class FeatureSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeatureSpecError';
  }
}

/** One line per issue: the key path, the value found there, and what is allowed. */
export function parseFeatureSpec(raw: unknown, source = 'features.json'): FeatureSpec {
  const parsed = FeatureSpecSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const key = issue.path.length ? issue.path.join('.') : '(root)';
    return `${key}: ${issue.message} (got ${describe(valueAt(raw, issue.path))})`;
  });
  throw new FeatureSpecError(`${source} is invalid:\n  ${lines.join('\n  ')}`);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The record fields a key template reads, in order. */
export function keyFields(template: string): string[] {
  return [...template.matchAll(KEY_PLACEHOLDER)].map((m) => m[1]);
}

/** Fills a key template from a record's string fields. */
export function entityKey(template: string, record: Readonly<Record<string, unknown>>): string {
  return template.replace(KEY_PLACEHOLDER, (_, f: string) => String(record[f]));
}
