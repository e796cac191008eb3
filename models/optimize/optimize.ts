import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { OptimizeArgs } from './args';
import { readCpuInfo } from './cpu';
import {
  compare,
  openModel,
  predict,
  type Comparison,
  type ModelUnderTest,
  type Predictions,
} from './evaluate';
import { DEFAULT_GATE, judge } from './gate';
import { optimiseGraph } from './graph';
import { measureLatency } from './latency';
import { publishVersion } from './publish';
import { ensureVenv, pythonEnv, quantise } from './python';
import { renderMarkdown, renderSvg, type OptimizationReport } from './report';
import { readModelSource, type ModelSource } from './source';

export const REPORT_FILES = {
  json: 'optimization-report.json',
  markdown: 'optimization-report.md',
  svg: 'optimization-report.svg',
};

export interface Outcome {
  report: OptimizationReport;
  /** Where the report and the optimised model were written. */
  dir: string;
}

interface Candidate {
  file: string;
  method: Record<string, unknown>;
}

/** Runs one optimisation: produce, validate, time, gate, report and (when asked and passed) publish. */
export async function optimize(args: OptimizeArgs, log: (line: string) => void): Promise<Outcome> {
  const source = readModelSource(args.repository, args.model, args.version);
  const gate = source.config.optimization ?? DEFAULT_GATE;
  const work = mkdtempSync(join(tmpdir(), 'model-optimize-'));
  const opened: ModelUnderTest[] = [];
  const open = async (file: string) => {
    const m = await openModel(file, source.config);
    opened.push(m);
    return m;
  };
  try {
    const original = await open(source.modelFile);
    const reference = await predict(original, source.heldOut);
    log(`${source.name} v${source.version}: ${args.mode} optimisation`);
    const { candidate, optimized, predictions } = await produce(
      args,
      source,
      original,
      work,
      open,
      reference,
      log,
    );
    const comparison = compare(reference, predictions, source.heldOut);

    const batches = latencyBatches(original.signature.maxBatchSize);
    const latency = [];
    for (const batch of batches) {
      log(`timing batch ${batch}: ${args.rounds} interleaved rounds of ${args.roundMs} ms per model`);
      latency.push(
        await measureLatency(original, optimized, source.heldOut.inputs, batch, args.rounds, args.roundMs),
      );
    }
    const report: OptimizationReport = {
      model: source.name,
      source_version: source.version,
      mode: args.mode,
      method: candidate.method,
      created_at: new Date().toISOString(),
      onnxruntime_node: ort.env.versions.node ?? 'unknown',
      cpu: readCpuInfo(),
      held_out: { file: 'testdata/test.json', rows: source.heldOut.inputs.length },
      task: comparison.task,
      metric: comparison.metric,
      agreement: comparison.agreement,
      scores: comparison.scores,
      size_bytes: { original: statSync(source.modelFile).size, optimized: statSync(candidate.file).size },
      latency: { threads: 1, rounds: args.rounds, round_ms: args.roundMs, batches: latency },
      gate: { ...gate, ...judge(comparison, gate) },
      published_version: null,
    };

    if (args.publish && report.gate.passed) {
      const version = String(Math.max(0, ...source.versions) + 1);
      report.published_version = version;
      const files = writeReport(report, candidate.file, join(work, 'publish'));
      const published = await publishVersion(
        source.dir,
        source.versions,
        source.version,
        files,
        gate.canary_weight_pct,
      );
      return { report, dir: published.dir };
    }
    const out = resolve(
      args.out ?? join('out', 'optimize', `${source.name}-v${source.version}-${args.mode}`),
    );
    writeReport(report, candidate.file, out);
    return { report, dir: out };
  } finally {
    await Promise.all(opened.map((m) => m.model.release()));
    rmSync(work, { recursive: true, force: true });
  }
}

/** Batch 1, and 32 (or the model's limit below that) when the model batches. */
function latencyBatches(maxBatchSize: number): number[] {
  return maxBatchSize > 1 ? [1, Math.min(32, maxBatchSize)] : [1];
}

async function produce(
  args: OptimizeArgs,
  source: ModelSource,
  original: ModelUnderTest,
  work: string,
  open: (file: string) => Promise<ModelUnderTest>,
  reference: Predictions,
  log: (line: string) => void,
): Promise<{ candidate: Candidate; optimized: ModelUnderTest; predictions: Predictions }> {
  if (args.mode === 'graph') {
    const file = join(work, 'graph.onnx');
    await optimiseGraph(source.modelFile, file);
    const optimized = await open(file);
    const method = { optimizer: 'onnxruntime-node optimizedModelFilePath', level: 'extended' };
    return { candidate: { file, method }, optimized, predictions: await predict(optimized, source.heldOut) };
  }
  const python = await ensureVenv(pythonEnv(process.env), log);
  const calibration = join(work, 'calibration.json');
  if (args.mode === 'static') {
    writeFileSync(
      calibration,
      JSON.stringify({
        input: original.signature.inputs[0].name,
        batched: original.signature.maxBatchSize > 0,
        rows: source.calibration.rows,
      }),
    );
  }
  // Per-channel weight scales help when a layer's output channels differ in range, and cost a
  // little speed; keep them only when they stay closer to the original than one scale per tensor.
  const tried: {
    perChannel: boolean;
    file: string;
    ops: Record<string, number>;
    ort: string;
    c: Comparison;
  }[] = [];
  const models: ModelUnderTest[] = [];
  const predictions: Predictions[] = [];
  for (const perChannel of [false, true]) {
    const file = join(work, `int8-${perChannel ? 'per-channel' : 'per-tensor'}.onnx`);
    const q = await quantise(python, {
      mode: args.mode,
      input: source.modelFile,
      output: file,
      perChannel,
      calibration: args.mode === 'static' ? calibration : undefined,
    });
    const m = await open(file);
    const p = await predict(m, source.heldOut);
    models.push(m);
    predictions.push(p);
    tried.push({
      perChannel,
      file,
      ops: q.quantised_ops,
      ort: q.onnxruntime,
      c: compare(reference, p, source.heldOut),
    });
  }
  const pick = closer(tried[1].c, tried[0].c) ? 1 : 0;
  const chosen = tried[pick];
  const method = {
    quantizer: `onnxruntime.quantization.quantize_${args.mode} (Python onnxruntime ${chosen.ort})`,
    ...(args.mode === 'static'
      ? {
          format: 'QDQ',
          activations: 'QUInt8',
          calibration: `${source.calibration.rows.length} rows of ${source.calibration.source}, MinMax`,
        }
      : { activations: 'quantised at run time (UINT8)' }),
    weights: 'QInt8',
    per_channel: chosen.perChannel,
    agreement_per_tensor: tried[0].c.agreement,
    agreement_per_channel: tried[1].c.agreement,
    quantised_ops: chosen.ops,
    source_graph: 'the original graph (onnxruntime applies its own graph optimisations at load)',
  };
  return {
    candidate: { file: chosen.file, method },
    optimized: models[pick],
    predictions: predictions[pick],
  };
}

/** Whether `a` keeps closer to the original than `b`: more agreement, then less metric drop, then smaller diffs. */
function closer(a: Comparison, b: Comparison): boolean {
  const key = (c: Comparison) => [c.agreement ?? 1, -c.metric.drop, -c.scores.mean_abs_diff];
  const [ka, kb] = [key(a), key(b)];
  const i = ka.findIndex((v, j) => v !== kb[j]);
  return i >= 0 && ka[i] > kb[i];
}

function writeReport(report: OptimizationReport, model: string, dir: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const files = {
    'model.onnx': join(dir, 'model.onnx'),
    [REPORT_FILES.json]: join(dir, REPORT_FILES.json),
    [REPORT_FILES.markdown]: join(dir, REPORT_FILES.markdown),
    [REPORT_FILES.svg]: join(dir, REPORT_FILES.svg),
  };
  copyFileSync(model, files['model.onnx']);
  writeFileSync(files[REPORT_FILES.json], `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(files[REPORT_FILES.markdown], renderMarkdown(report, REPORT_FILES.svg));
  writeFileSync(files[REPORT_FILES.svg], renderSvg(report));
  return files;
}
