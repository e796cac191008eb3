import { ServiceError } from '../core/errors';
import type { Tensor } from '../core/tensor';
import type { EngineObserver } from '../core/observer';
import type { ModelRunner } from '../runtime/ort-runner';
import type { Clock } from './clock';
import { BatchScheduler, type Queued, type SchedulerOptions } from './scheduler';
import { BatchBuffers, concatInputs, releaseInputs, splitOutputs } from './tensor-batch';

interface Pending {
  inputs: readonly Tensor[];
  resolve(outputs: Tensor[]): void;
  reject(error: Error): void;
}

export interface BatcherOptions extends Omit<SchedulerOptions, 'label'> {
  model: string;
  version: string;
  /** False for models without a batch dimension: requests run one by one, untouched. */
  hasBatchDim: boolean;
}

/**
 * One model version's queue and executor: the scheduler decides the batches, this runs each as a
 * single onnxruntime call and answers its requests. A failing batch rejects only its own requests.
 */
export class Batcher {
  private readonly scheduler: BatchScheduler<Pending>;
  private readonly buffers = new BatchBuffers();

  constructor(
    private readonly options: BatcherOptions,
    private readonly runner: ModelRunner,
    private readonly clock: Clock,
    private readonly observer: EngineObserver = {},
  ) {
    const { model, version } = options;
    this.scheduler = new BatchScheduler<Pending>(
      { ...options, label: `model '${model}' version ${version}` },
      clock,
      {
        dispatch: (batch, now) => void this.execute(batch, now),
        expire: (entry, error) => {
          observer.onReject?.({ model, version, reason: 'deadline' });
          entry.item.reject(error);
        },
        overflow: () => observer.onReject?.({ model, version, reason: 'queue_full' }),
        queueDepth: (depth) => observer.onQueueDepth?.({ model, version, depth }),
      },
    );
  }

  get queueDepth(): number {
    return this.scheduler.depth;
  }

  /** Resolves with every output of the model for this request's rows; rejects with a ServiceError. */
  submit(inputs: readonly Tensor[], rows: number, deadline: number): Promise<Tensor[]> {
    // A throw from enqueue (400/503/504) rejects the promise.
    return new Promise((resolve, reject) =>
      this.scheduler.enqueue({ inputs, resolve, reject }, rows, deadline),
    );
  }

  /** Refuses new requests, runs everything queued, resolves when the last batch has answered. */
  drain(): Promise<void> {
    return this.scheduler.drain();
  }

  private async execute(batch: Queued<Pending>[], dispatchedAt: number): Promise<void> {
    const { model, version, hasBatchDim } = this.options;
    const rows = batch.map((q) => q.rows);
    const size = rows.reduce((a, b) => a + b, 0);
    const single = batch.length === 1 || !hasBatchDim;
    let inputs: readonly Tensor[] | undefined;
    const started = this.clock.now();
    let ok = false;
    let busySeconds = 0;
    try {
      inputs = single
        ? batch[0].item.inputs
        : concatInputs(
            batch.map((q) => q.item.inputs),
            size,
            this.buffers,
          );
      const ran = await this.runner.run(inputs);
      busySeconds = ran.busySeconds;
      const outputs = ran.outputs;
      const parts = single ? [outputs] : splitOutputs(outputs, rows);
      batch.forEach((q, i) => q.item.resolve(parts[i]));
      ok = true;
    } catch (e) {
      const error = new ServiceError(
        500,
        `model '${model}' version ${version} failed to run a batch of ${size} rows: ${firstLine(e)}`,
      );
      for (const q of batch) q.item.reject(error);
    } finally {
      if (!single && inputs) releaseInputs(inputs, this.buffers);
      try {
        this.observer.onBatch?.({
          model,
          version,
          size: hasBatchDim ? size : 1,
          requests: batch.length,
          queueSeconds: batch.map((q) => (dispatchedAt - q.enqueuedAt) / 1000),
          computeSeconds: (this.clock.now() - started) / 1000,
          busySeconds,
          ok,
        });
      } finally {
        // A throwing observer must not wedge the queue.
        this.scheduler.complete();
      }
    }
  }
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}
