import { join } from 'node:path';
import { silentLogger } from '../src/core/logger';
import { readModelConfig } from '../src/repository/config-file';
import { resolveSignature } from '../src/repository/signature';
import { bindOutputs, openInline } from '../src/runtime/ort-runner';
import { syntheticInputs } from '../src/runtime/synthetic-inputs';
import { processCpuMs } from './process-cpu';

export interface RawThroughputOptions {
  /** `<repository>/<model>`: its config.json supplies the session options the service uses. */
  modelDir: string;
  version?: string;
  /** Rows per run; ignored (1) for a model without a batch dimension. */
  batchSize: number;
  /** How long to measure, after `warmupRuns` untimed runs. */
  durationMs?: number;
  warmupRuns?: number;
}

export interface RawThroughput {
  batchSize: number;
  runs: number;
  seconds: number;
  rowsPerSecond: number;
  meanRunMs: number;
  /**
   * Rows per second of this process's CPU time over the timed runs (onnxruntime's threads
   * included): unlike `rowsPerSecond`, barely moved by whatever else shares the machine.
   */
  rowsPerCpuSecond: number;
}

/**
 * The ceiling for the service: onnxruntime called in-process, back to back, on pre-built inputs of
 * one batch size, on this thread, with the same session options and tensor conversion as the service.
 */
export async function measureRawThroughput(options: RawThroughputOptions): Promise<RawThroughput> {
  const name = options.modelDir
    .replace(/[/\\]+$/, '')
    .split(/[/\\]/)
    .pop()!;
  const config = readModelConfig(join(options.modelDir, 'config.json'), name);
  const file = join(options.modelDir, options.version ?? '1', 'model.onnx');
  const model = await openInline(file, config.session, silentLogger);
  try {
    const signature = resolveSignature(model.io, config);
    const runner = bindOutputs(
      model,
      signature.outputs.map((o) => o.name),
    );
    const hasBatchDim = signature.maxBatchSize > 0;
    const rows = hasBatchDim ? options.batchSize : 1;
    const inputs = syntheticInputs(signature.inputs, hasBatchDim, rows);
    for (let i = 0; i < (options.warmupRuns ?? 5); i++) await runner.run(inputs);
    const budget = options.durationMs ?? 2000;
    const cpuStart = processCpuMs(process.pid);
    const start = performance.now();
    let runs = 0;
    while (performance.now() - start < budget) {
      await runner.run(inputs);
      runs++;
    }
    const seconds = (performance.now() - start) / 1000;
    const cpuSeconds = (processCpuMs(process.pid) - cpuStart) / 1000;
    return {
      batchSize: rows,
      runs,
      seconds,
      rowsPerSecond: (runs * rows) / seconds,
      meanRunMs: (seconds * 1000) / runs,
      rowsPerCpuSecond: (runs * rows) / cpuSeconds,
    };
  } finally {
    await model.release();
  }
}
