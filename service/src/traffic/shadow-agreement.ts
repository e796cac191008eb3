import { METRICS } from '@ml-platform/contract/names';
import type { Gauge, Registry } from 'prom-client';
import type { InferResult } from '../core/engine';
import type { Tensor } from '../core/tensor';
import { defineGauge } from '../observability/metrics';

/** Scores agree when within this relative tolerance of each other. */
export const SCORE_TOLERANCE = 1e-3;

const isLabel = (t: Tensor) => t.datatype !== 'FP16' && t.datatype !== 'FP32' && t.datatype !== 'FP64';

/**
 * Rows of a primary and a shadow answer that agree: for a classifier (any integer or string output)
 * the labels must be equal; otherwise every score must be within SCORE_TOLERANCE (relative). Rows
 * are the first dimension of the compared outputs.
 */
export function agreement(primary: InferResult, shadow: InferResult): { rows: number; agreed: number } {
  const labels = primary.outputs.filter(isLabel);
  const compared = labels.length > 0 ? labels : primary.outputs;
  const rows = compared[0]?.shape[0] ?? 0;
  let agreed = 0;
  for (let row = 0; row < rows; row++) {
    const same = compared.every((p) => {
      const s = shadow.outputs.find((o) => o.name === p.name);
      if (!s) return false;
      const width = p.data.length / rows;
      for (let i = row * width; i < (row + 1) * width; i++) {
        const a = p.data[i];
        const b = s.data[i];
        if (isLabel(p)) {
          if (String(a) !== String(b)) return false;
        } else {
          const x = Number(a);
          const y = Number(b);
          if (Math.abs(x - y) > SCORE_TOLERANCE * Math.max(Math.abs(x), Math.abs(y), 1e-12)) return false;
        }
      }
      return true;
    });
    if (same) agreed++;
  }
  return { rows, agreed };
}

/** `model_shadow_agreement_ratio{model,primary,shadow}`: agreeing rows over compared rows since start. */
export class ShadowAgreement {
  private readonly gauge: Gauge<'model' | 'primary' | 'shadow'>;
  private readonly counts = new Map<string, { rows: number; agreed: number }>();

  constructor(registry: Registry) {
    this.gauge = defineGauge(registry, {
      ...METRICS.shadowAgreement,
      help: 'Share of rows on which a shadow version agreed with the primary (equal labels, or scores within 0.1%), since start.',
      aggregator: 'average',
    });
  }

  record(model: string, primary: InferResult, shadow: InferResult): void {
    const labels = { model, primary: primary.modelVersion, shadow: shadow.modelVersion };
    const key = countsKey(model, labels.primary, labels.shadow);
    const c = this.counts.get(key) ?? { rows: 0, agreed: 0 };
    const a = agreement(primary, shadow);
    c.rows += a.rows;
    c.agreed += a.agreed;
    this.counts.set(key, c);
    if (c.rows > 0) this.gauge.set(labels, c.agreed / c.rows);
  }

  /** Rows compared (and agreed) between these versions in this process since start; the rollout's read port. */
  compared(model: string, primary: string, shadow: string): { rows: number; agreed: number } {
    return { ...(this.counts.get(countsKey(model, primary, shadow)) ?? { rows: 0, agreed: 0 }) };
  }
}

const countsKey = (model: string, primary: string, shadow: string) =>
  `${model}\u0000${primary}\u0000${shadow}`;
