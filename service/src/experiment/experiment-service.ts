import { ServiceError, badRequest, notFound } from '../core/errors';
import type { RedisConnection } from '../redis/connection';
import type { Engine } from '../engine';
import type { Observation } from '../pipeline/phases';
import { emptyTotals, experimentReport, type VariantTotals } from './report';

/** A served A/B prediction, kept until its feedback arrives or it falls out of the join window. */
interface Served {
  model: string;
  variant: string;
  /** The first integer output's first element, as a string (a classifier's label). */
  label?: string;
  /** The first floating-point output's first element (a score). */
  value?: number;
  at: number;
  answered: boolean;
}

export interface ExperimentOptions {
  engine: Pick<Engine, 'modelConfig'>;
  /** Shares the join (with a TTL) and the totals across replicas; per process while it is down. */
  redis?: RedisConnection;
  /** Predictions kept for the join, oldest dropped first. */
  maxEntries?: number;
  /** How long a prediction waits for its feedback. */
  ttlMs?: number;
  now?: () => number;
}

/** Relative tolerance under which fed-back `value` counts as the prediction being right. */
const VALUE_TOLERANCE = 1e-3;
const INTEGER_TYPES = new Set([
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'BOOL',
  'BYTES',
]);

/**
 * A/B outcomes: remembers the A/B-routed predictions by request id (x-request-id), joins the feedback
 * posted for them, and keeps per-variant totals for the report. Without Redis (or while it is down)
 * the join is a bounded, expiring in-memory window and everything is per process; with Redis the
 * predictions are keys with a TTL, a feedback claims its id with SET NX (one feedback per id across
 * replicas), and the totals are one hash per model.
 */
export class ExperimentService {
  private readonly served = new Map<string, Served>();
  private readonly totals = new Map<string, Map<string, VariantTotals>>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ExperimentOptions) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.ttlMs = options.ttlMs ?? 3_600_000;
    this.now = options.now ?? Date.now;
  }

  readonly observe = (o: Observation): void => {
    const variant = o.route?.variant;
    if (!variant?.startsWith('ab:') || o.route?.version === undefined || o.requestId === undefined) return;
    if (o.status >= 400 && o.status < 500) return;
    const name = variant.slice(3);
    const labelOut = o.result?.outputs.find((out) => INTEGER_TYPES.has(out.datatype));
    const valueOut = o.result?.outputs.find((out) => !INTEGER_TYPES.has(out.datatype));
    const served: Served | undefined = o.result && {
      model: o.model,
      variant: name,
      label: labelOut && String(labelOut.data[0]),
      value: valueOut && Number(valueOut.data[0]),
      at: this.now(),
      answered: false,
    };
    const { redis } = this.options;
    if (redis?.isUp()) {
      redis
        .run(async (c) => {
          const m = c.multi();
          m.hincrby(totalsKey(o.model), `${name}\u0000${o.route!.version}\u0000requests`, 1);
          m.hincrbyfloat(
            totalsKey(o.model),
            `${name}\u0000${o.route!.version}\u0000latencySecondsSum`,
            o.seconds,
          );
          if (served) m.set(predictionKey(o.requestId!), JSON.stringify(served), 'PX', this.ttlMs);
          await m.exec();
        })
        .catch(() => this.remember(o.model, name, o.route!.version!, o.requestId!, o.seconds, served));
      return;
    }
    this.remember(o.model, name, o.route.version, o.requestId, o.seconds, served);
  };

  private remember(
    model: string,
    variant: string,
    version: string,
    requestId: string,
    seconds: number,
    served: Served | undefined,
  ): void {
    const t = this.variantTotals(model, variant, version);
    t.requests++;
    t.latencySecondsSum += seconds;
    if (!served) return;
    this.served.delete(requestId);
    this.served.set(requestId, served);
    this.evict();
  }

  /** POST /v2/models/{m}/feedback. */
  async feedback(model: string, body: unknown): Promise<{ id: string; variant: string; correct?: boolean }> {
    this.options.engine.modelConfig(model); // 404 for an unknown model
    const fb = parseFeedback(body);
    const { redis } = this.options;
    if (redis?.isUp()) {
      const raw = await redis.run((c) => c.get(predictionKey(fb.id))).catch(() => undefined);
      if (raw !== undefined)
        return this.join(model, fb, raw === null ? undefined : (JSON.parse(raw) as Served), true);
    }
    this.evict();
    return this.join(model, fb, this.served.get(fb.id), false);
  }

  private async join(
    model: string,
    fb: Feedback,
    served: Served | undefined,
    shared: boolean,
  ): Promise<{ id: string; variant: string; correct?: boolean }> {
    if (!served) {
      throw notFound(
        `no A/B prediction with id '${fb.id}' is waiting for feedback (unknown, or older than the join window)`,
      );
    }
    if (served.model !== model) {
      throw new ServiceError(
        409,
        `prediction '${fb.id}' was served by model '${served.model}', not '${model}'`,
      );
    }
    const duplicate = () => new ServiceError(409, `prediction '${fb.id}' already has feedback`);
    if (served.answered) throw duplicate();
    const t = emptyTotals(served.variant, '');
    let correct: boolean | undefined;
    if ('label' in fb) {
      if (served.label === undefined)
        throw badRequest(`model '${model}' has no label output; send value or reward`);
      correct = String(fb.label) === served.label;
    } else if ('value' in fb) {
      if (served.value === undefined)
        throw badRequest(`model '${model}' has no score output; send label or reward`);
      correct = Math.abs(fb.value - served.value) <= VALUE_TOLERANCE * Math.max(1, Math.abs(fb.value));
    } else {
      t.rewards++;
      t.rewardSum += fb.reward;
      t.rewardSquares += fb.reward * fb.reward;
    }
    t.feedback++;
    if (correct !== undefined) {
      t.judged++;
      if (correct) t.correct++;
    }
    if (shared) {
      // One feedback per id across replicas: the first SET NX wins.
      const claimed = await this.options.redis!.run(async (c) => {
        if ((await c.set(feedbackKey(fb.id), '1', 'PX', this.ttlMs, 'NX')) === null) return false;
        const m = c.multi();
        for (const field of SUMMED) {
          if (t[field] !== 0)
            m.hincrbyfloat(totalsKey(model), `${served.variant}\u0000\u0000${field}`, t[field]);
        }
        await m.exec();
        return true;
      });
      if (!claimed) throw duplicate();
    } else {
      served.answered = true;
      addTotals(this.totals.get(model)!.get(served.variant)!, t);
    }
    return { id: fb.id, variant: served.variant, ...(correct !== undefined && { correct }) };
  }

  /** GET /v2/models/{m}/experiment. */
  async report(model: string) {
    const ab = this.options.engine.modelConfig(model).traffic?.ab;
    const { redis } = this.options;
    const fields = redis?.isUp()
      ? await redis.run((c) => c.hgetall(totalsKey(model))).catch(() => undefined)
      : undefined;
    const totals = fields
      ? sharedTotals(fields)
      : (this.totals.get(model) ?? new Map<string, VariantTotals>());
    for (const v of ab?.variants ?? [])
      if (!totals.has(v.name)) totals.set(v.name, emptyTotals(v.name, v.version));
    return {
      model,
      scope: fields ? ('shared' as const) : ('process' as const),
      keyHeader: ab?.key_header ?? null,
      ...experimentReport([...totals.values()]),
    };
  }

  private variantTotals(model: string, variant: string, version: string): VariantTotals {
    let perModel = this.totals.get(model);
    if (!perModel) this.totals.set(model, (perModel = new Map()));
    let t = perModel.get(variant);
    if (!t) perModel.set(variant, (t = emptyTotals(variant, version)));
    return t;
  }

  /** Insertion order is age order: drop from the front while too many or too old. */
  private evict(): void {
    const oldest = this.now() - this.ttlMs;
    for (const [id, s] of this.served) {
      if (this.served.size <= this.maxEntries && s.at >= oldest) break;
      this.served.delete(id);
    }
  }
}

const predictionKey = (id: string) => `experiment:prediction:{${id}}`;
const feedbackKey = (id: string) => `experiment:feedback:{${id}}`;
const totalsKey = (model: string) => `experiment:totals:{${model}}`;

const SUMMED = [
  'requests',
  'latencySecondsSum',
  'feedback',
  'judged',
  'correct',
  'rewards',
  'rewardSum',
  'rewardSquares',
] as const;

function addTotals(into: VariantTotals, from: VariantTotals): void {
  for (const field of SUMMED) into[field] += from[field];
}

/** The totals hash: fields `<variant>\0<version or empty>\0<counter>`. */
function sharedTotals(fields: Record<string, string>): Map<string, VariantTotals> {
  const out = new Map<string, VariantTotals>();
  for (const [key, raw] of Object.entries(fields)) {
    const [variant, version, field] = key.split('\u0000') as [string, string, (typeof SUMMED)[number]];
    let t = out.get(variant);
    if (!t) out.set(variant, (t = emptyTotals(variant, version)));
    if (version) t.version = version;
    t[field] += Number(raw);
  }
  return out;
}

type Feedback = { id: string } & ({ label: string | number } | { value: number } | { reward: number });

function parseFeedback(body: unknown): Feedback {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('the body must be a JSON object like {"id": "<x-request-id>", "label": 1}');
  }
  const b = body as Record<string, unknown>;
  if (typeof b.id !== 'string' || b.id === '')
    throw badRequest(`id must be the request id string, got ${JSON.stringify(b.id)}`);
  const given = ['label', 'value', 'reward'].filter((k) => b[k] !== undefined);
  if (given.length !== 1) throw badRequest(`give exactly one of label, value or reward, got ${given.length}`);
  const [kind] = given;
  const v = b[kind];
  if (kind === 'label') {
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) {
      throw badRequest(`label must be a string or a finite number, got ${JSON.stringify(v)}`);
    }
    return { id: b.id, label: v };
  }
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw badRequest(`${kind} must be a finite number, got ${JSON.stringify(v)}`);
  return kind === 'value' ? { id: b.id, value: v } : { id: b.id, reward: v };
}
