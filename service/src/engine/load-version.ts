import { existsSync } from 'node:fs';
import { Batcher } from '../batching/batcher';
import type { Clock } from '../batching/clock';
import { batchRowCap, instanceCount, type ModelConfig } from '../repository/model-config';
import type { LoadedVersion } from '../repository/model-registry';
import { resolveSignature, type ModelSignature } from '../repository/signature';
import { bindOutputs, type ModelOpener, type ModelRunner } from '../runtime/ort-runner';
import { syntheticInputs } from '../runtime/synthetic-inputs';
import type { EngineLogger } from '../core/logger';
import type { EngineObserver } from '../core/observer';

export interface LoadDeps {
  logger: EngineLogger;
  observer: EngineObserver;
  clock: Clock;
  open: ModelOpener;
}

/** Requests a model without dynamic_batching may queue: still bounded, so overload answers 503. */
const DEFAULT_MAX_QUEUE_SIZE = 1024;

/**
 * Opens a version's ONNX file, derives and checks its signature against the config, warms it up
 * and puts a batcher in front of it. Nothing is kept when any step fails.
 */
export async function loadVersion(
  model: string,
  version: string,
  modelFile: string,
  config: ModelConfig,
  deps: LoadDeps,
): Promise<LoadedVersion> {
  const started = performance.now();
  const report = (ok: boolean, reason?: string) =>
    deps.observer.onModelLoad?.({
      model,
      version,
      seconds: (performance.now() - started) / 1000,
      ok,
      reason,
    });
  try {
    if (!existsSync(modelFile)) throw new Error(`${modelFile} does not exist`);
    const opened = await deps
      .open(modelFile, config.session, deps.logger, instanceCount(config))
      .catch((e: Error) => {
        throw new Error(`${modelFile}: onnxruntime cannot load it: ${e.message.split('\n')[0]}`);
      });
    try {
      const signature = resolveSignature(opened.io, config);
      const runner = bindOutputs(
        opened,
        signature.outputs.map((o) => o.name),
      );
      await warmUp(runner, signature, config.warmup, batchRowCap(config));
      const batcher = new Batcher(
        batcherOptions(model, version, config, runner.concurrency),
        runner,
        deps.clock,
        deps.observer,
      );
      const loadSeconds = (performance.now() - started) / 1000;
      deps.logger.info({ model, version, provider: opened.provider, loadSeconds }, 'model version ready');
      report(true);
      return {
        version,
        config,
        signature,
        submit: (request, rows, deadline) => batcher.submit(request, rows, deadline),
        close: async () => {
          await batcher.drain();
          await runner.release();
        },
      };
    } catch (e) {
      await opened.release();
      throw e;
    }
  } catch (e) {
    report(false, (e as Error).message);
    throw e;
  }
}

async function warmUp(
  runner: ModelRunner,
  signature: ModelSignature,
  warmup: ModelConfig['warmup'],
  batchRows: number,
): Promise<void> {
  const hasBatchDim = signature.maxBatchSize > 0;
  // Up to the rows of a whole batch, which may hold more than one request's (max_batch_rows).
  const sizes = hasBatchDim ? [...new Set(warmup.batch_sizes.map((b) => Math.min(b, batchRows)))] : [1];
  for (const rows of sizes) {
    const inputs = syntheticInputs(signature.inputs, hasBatchDim, rows);
    for (let i = 0; i < warmup.iterations; i++) {
      await runner.warm(inputs).catch((e: Error) => {
        throw new Error(`warm-up with ${rows} generated row(s) failed: ${e.message.split('\n')[0]}`);
      });
    }
  }
}

function batcherOptions(model: string, version: string, config: ModelConfig, instances: number) {
  const db = config.dynamic_batching;
  const hasBatchDim = config.max_batch_size > 0;
  return {
    model,
    version,
    hasBatchDim,
    batching: hasBatchDim && db !== undefined,
    maxBatchSize: config.max_batch_size,
    maxBatchRows: batchRowCap(config),
    preferredBatchSizes: db?.preferred_batch_size ?? [],
    maxQueueDelayMs: (db?.max_queue_delay_microseconds ?? 0) / 1000,
    maxQueueSize: db?.max_queue_size ?? DEFAULT_MAX_QUEUE_SIZE,
    // One batch per instance: a session runs one batch at a time, so a further one would only wait
    // on its thread, while its requests could still have joined a later, larger batch.
    maxInFlight: instances,
  };
}
