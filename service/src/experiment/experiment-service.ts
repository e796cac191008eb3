import { ServiceError, badRequest, notFound } from '../core/errors';
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
 * A/B outcomes: remembers the A/B-routed predictions by request id (x-request-id) in a bounded,
 * expiring in-memory join window, joins the feedback posted for them, and keeps per-variant totals
 * for the report. Per process: with several replicas each reports on the traffic it served.
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
    const t = this.variantTotals(o.model, variant.slice(3), o.route.version);
    t.requests++;
    t.latencySecondsSum += o.seconds;
    if (!o.result) return;
    const labelOut = o.result.outputs.find((out) => INTEGER_TYPES.has(out.datatype));
    const valueOut = o.result.outputs.find((out) => !INTEGER_TYPES.has(out.datatype));
    this.served.delete(o.requestId);
    this.served.set(o.requestId, {
      model: o.model,
      variant: variant.slice(3),
      label: labelOut && String(labelOut.data[0]),
      value: valueOut && Number(valueOut.data[0]),
      at: this.now(),
      answered: false,
    });
    this.evict();
  };

  /** POST /v2/models/{m}/feedback. */
  feedback(model: string, body: unknown): { id: string; variant: string; correct?: boolean } {
    this.options.engine.modelConfig(model); // 404 for an unknown model
    const fb = parseFeedback(body);
    this.evict();
    const served = this.served.get(fb.id);
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
    if (served.answered) throw new ServiceError(409, `prediction '${fb.id}' already has feedback`);
    const t = this.totals.get(model)!.get(served.variant)!;
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
    served.answered = true;
    t.feedback++;
    if (correct !== undefined) {
      t.judged++;
      if (correct) t.correct++;
    }
    return { id: fb.id, variant: served.variant, ...(correct !== undefined && { correct }) };
  }

  /** GET /v2/models/{m}/experiment. */
  report(model: string) {
    const ab = this.options.engine.modelConfig(model).traffic?.ab;
    for (const v of ab?.variants ?? []) this.variantTotals(model, v.name, v.version);
    return {
      model,
      scope: 'process' as const,
      keyHeader: ab?.key_header ?? null,
      ...experimentReport([...(this.totals.get(model)?.values() ?? [])]),
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
