import type { Tensor, TensorSpec } from '@ml-platform/service/core/tensor';
import {
  openInline,
  resolveSignature,
  silentLogger,
  type ModelSignature,
  type OpenedModel,
} from '@ml-platform/service/model-tooling';
import type { ModelConfig } from '@ml-platform/service/repository/model-config';
import { OptimizeError } from './errors';
import { heldOutBatches } from './feeds';
import type { HeldOut } from './source';

/** An open model with the signature its config gives it, on one onnxruntime thread. */
export interface ModelUnderTest {
  file: string;
  model: OpenedModel;
  signature: ModelSignature;
}

export async function openModel(file: string, config: ModelConfig): Promise<ModelUnderTest> {
  const session = { ...config.session, intra_op_num_threads: 1, inter_op_num_threads: 1 };
  const model = await openInline(file, { ...session, execution_providers: ['cpu'] }, silentLogger).catch(
    (e: Error) => {
      throw new OptimizeError(`${file}: onnxruntime cannot load it: ${e.message.split('\n')[0]}`);
    },
  );
  try {
    return { file, model, signature: resolveSignature(model.io, config) };
  } catch (e) {
    await model.release();
    throw new OptimizeError(`${file}: ${(e as Error).message}`);
  }
}

/** Per held-out row: the top-1 label (classifiers) and the score/prediction values. */
export interface Predictions {
  labels?: number[];
  scores: number[][];
  scoreOutput: string;
}

const isFloat = (o: TensorSpec) => o.datatype === 'FP32' || o.datatype === 'FP64';
const isLabel = (o: TensorSpec) => o.datatype === 'INT64' || o.datatype === 'INT32';

export async function predict(m: ModelUnderTest, heldOut: HeldOut): Promise<Predictions> {
  const scoreSpec = m.signature.outputs.find(isFloat);
  if (!scoreSpec) {
    throw new OptimizeError(
      `${m.file}: no FP32/FP64 output to compare (scores, probabilities or predictions)`,
    );
  }
  const labelSpec = heldOut.labels ? m.signature.outputs.find(isLabel) : undefined;
  const names = [scoreSpec.name, ...(labelSpec ? [labelSpec.name] : [])];
  const scores: number[][] = [];
  const labels: number[] = [];
  for (const batch of heldOutBatches(m.signature, heldOut.inputs)) {
    const rows = m.signature.maxBatchSize > 0 ? batch.shape[0] : 1;
    const {
      outputs: [s, l],
    } = await m.model.run([batch], names);
    scores.push(...splitRows(s, rows));
    if (l) labels.push(...Array.from(l.data as BigInt64Array | Int32Array, Number));
  }
  if (heldOut.labels && !labelSpec) labels.push(...scores.map(argmax));
  return { scores, labels: heldOut.labels ? labels : undefined, scoreOutput: scoreSpec.name };
}

function splitRows(t: Tensor, rows: number): number[][] {
  const flat = Array.from(t.data as Float32Array);
  const width = flat.length / rows;
  return Array.from({ length: rows }, (_, r) => flat.slice(r * width, (r + 1) * width));
}

function argmax(row: number[]): number {
  return row.reduce((best, v, i) => (v > row[best] ? i : best), 0);
}

export interface Comparison {
  task: 'classification' | 'regression';
  metric: { name: 'accuracy' | 'mae'; original: number; optimized: number; drop: number };
  /** Share of rows whose top-1 label is unchanged; null for regressors. */
  agreement: number | null;
  scores: { output: string; max_abs_diff: number; mean_abs_diff: number };
}

/** Task metric, top-1 agreement and score differences of two models' predictions on the same rows. Pure. */
export function compare(original: Predictions, optimized: Predictions, heldOut: HeldOut): Comparison {
  let max = 0;
  let sum = 0;
  let n = 0;
  original.scores.forEach((row, r) =>
    row.forEach((v, j) => {
      const d = Math.abs(v - optimized.scores[r][j]);
      max = Math.max(max, d);
      sum += d;
      n++;
    }),
  );
  const scores = { output: original.scoreOutput, max_abs_diff: max, mean_abs_diff: sum / n };
  if (heldOut.labels) {
    const truth = heldOut.labels;
    const accuracy = (p: number[]) => p.filter((l, i) => l === truth[i]).length / truth.length;
    const a = accuracy(original.labels!);
    const b = accuracy(optimized.labels!);
    const same = original.labels!.filter((l, i) => l === optimized.labels![i]).length;
    return {
      task: 'classification',
      metric: { name: 'accuracy', original: a, optimized: b, drop: a - b },
      agreement: same / truth.length,
      scores,
    };
  }
  const targets = (heldOut.targets ?? []).map((t) => (Array.isArray(t) ? t : [t]));
  const mae = (p: Predictions) => {
    let err = 0;
    let count = 0;
    targets.forEach((t, r) =>
      t.forEach((v, j) => {
        err += Math.abs(p.scores[r][j] - v);
        count++;
      }),
    );
    return err / count;
  };
  const a = mae(original);
  const b = mae(optimized);
  return {
    task: 'regression',
    metric: { name: 'mae', original: a, optimized: b, drop: b - a },
    agreement: null,
    scores,
  };
}
