import { ServiceError } from '../core/errors';
import type { BatchRequest } from '../core/engine';
import type { Tensor } from '../core/tensor';
import type { EngineObserver } from '../core/observer';
import type { ModelRunner } from '../runtime/ort-runner';
import type { Clock } from './clock';
import { BatchScheduler, type Queued, type SchedulerOptions } from './scheduler';
import { BatchBuffers, concatInputs, releaseInputs, splitOutputs } from './tensor-batch';

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
  private readonly scheduler: BatchScheduler<BatchRequest>;
  private readonly buffers = new BatchBuffers();

  constructor(
    private readonly options: BatcherOptions,
    private readonly runner: ModelRunner,
    private readonly clock: Clock,
    private readonly observer: EngineObserver = {},
  ) {
    const { model, version } = options;
    this.scheduler = new BatchScheduler<BatchRequest>(
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

  /**
   * Queues `request`, which is later given every output of the model for its rows, or a
   * ServiceError. Throws a ServiceError (400/503/504) when it cannot be queued.
   */
  submit(request: BatchRequest, rows: number, deadline: number): void {
    this.scheduler.enqueue(request, rows, deadline);
  }

  /** Refuses new requests, runs everything queued, resolves when the last batch has answered. */
  drain(): Promise<void> {
    return this.scheduler.drain();
  }

  private async execute(batch: Queued<BatchRequest>[], dispatchedAt: number): Promise<void> {
    const { model, version, hasBatchDim } = this.options;
    const rows = batch.map((q) => q.rows);
    const size = rows.reduce((a, b) => a + b, 0);
    const single = batch.length === 1 || !hasBatchDim;
    let inputs: readonly Tensor[] | undefined;
    const started = this.clock.now();
    let parts: Tensor[][] | undefined;
    let failure: ServiceError | undefined;
    let busySeconds = 0;
    try {
      inputs = single
        ? batch[0].item.inputs
        : concatInputs(
            batch.map((q) => q.item.inputs),
            size,
            this.buffers,
          );
      // A concatenation buffer is the batcher's own, so its run may move it to onnxruntime's thread
      // and back rather than copy it; a lone request's tensors are not (observers read them later).
      const ran = await this.runner.run(inputs, { lend: !single });
      if (ran.inputs) inputs = ran.inputs;
      busySeconds = ran.busySeconds;
      parts = single ? [ran.outputs] : splitOutputs(ran.outputs, rows);
    } catch (e) {
      failure = new ServiceError(
        500,
        `model '${model}' version ${version} failed to run a batch of ${size} rows: ${firstLine(e)}`,
      );
    }
    try {
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
          ok: parts !== undefined,
        });
      } finally {
        // A throwing observer must not wedge the queue.
        this.scheduler.complete();
      }
    } finally {
      // After complete(), so the next batch is on its way while these are answered: a request's
      // Settle may encode and write its whole response (http/infer-exchange.ts). Outside the run's
      // try: what the callbacks do is the requests' own, not the batch's failure.
      answerEach(batch, parts, failure);
    }
  }
}

/**
 * Gives each request its part, or the batch's failure. A Settle must not throw; if one does, the
 * rest of the batch is still answered and the first throw then surfaces, as a throw in a promise
 * reaction did (an unhandled rejection), instead of leaving the others waiting for good.
 */
export function answerEach(
  batch: Queued<BatchRequest>[],
  parts: Tensor[][] | undefined,
  failure: ServiceError | undefined,
): void {
  let thrown: { error: unknown } | undefined;
  for (let i = 0; i < batch.length; i++) {
    try {
      if (parts) batch[i].item.resolve(parts[i]);
      else batch[i].item.reject(failure);
    } catch (error) {
      thrown ??= { error };
    }
  }
  if (thrown) throw thrown.error;
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}
