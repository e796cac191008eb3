import { badRequest, deadlineExceeded, unavailable } from '../core/errors';
import type { Clock } from './clock';

/**
 * Dynamic batch scheduling as pure logic: it decides when a batch leaves the queue and which
 * requests it holds. It never runs anything itself; the sink executes a dispatched batch and calls
 * `complete()` when done. Modelled on Triton's dynamic batcher:
 *
 * - requests leave in FIFO order and a request is never split across batches: a split request
 *   would wait for two batches, and whole requests already fill batches to within a few percent
 *   of the cap (docs/benchmarks.md, "How batches of multi-row requests form");
 * - a batch leaves at once when it is full (`maxBatchRows` rows, or the next request does not fit)
 *   or when a prefix of the queue adds up to a preferred batch size (the largest such prefix);
 * - otherwise it leaves when the oldest queued request has waited max_queue_delay;
 * - a request whose deadline passes while it is queued is expired (answered 504), never executed;
 * - a full queue rejects new requests with 503 + Retry-After.
 */
export interface SchedulerOptions {
  /** Rows per request (max_batch_size). */
  maxBatchSize: number;
  /**
   * Rows per batch, summed over its requests (dynamic_batching.max_batch_rows); at least
   * `maxBatchSize`. Defaults to `maxBatchSize`, as in Triton.
   */
  maxBatchRows?: number;
  /** Off: every request is its own batch (models without a batch dimension, or no dynamic_batching). */
  batching: boolean;
  preferredBatchSizes: readonly number[];
  maxQueueDelayMs: number;
  /** Requests (not rows) that may wait; one more is rejected with 503. */
  maxQueueSize: number;
  /** Batches executing at once. */
  maxInFlight: number;
  /** Names the queue in error messages, e.g. "model 'heavy-mlp' version 1". */
  label: string;
  /** Retry-After sent with a queue-full 503. */
  retryAfterSeconds?: number;
}

export interface Queued<T> {
  readonly item: T;
  readonly rows: number;
  readonly enqueuedAt: number;
  readonly deadline: number;
}

export interface SchedulerSink<T> {
  /** Execute these requests as one batch, then call `complete()`. Must not throw. */
  dispatch(batch: Queued<T>[], now: number): void;
  /** The request's deadline passed while it was queued. */
  expire(entry: Queued<T>, error: Error): void;
  /** A request was refused because the queue was full. */
  overflow?(): void;
  /** Called whenever the number of queued requests changes. */
  queueDepth?(depth: number): void;
}

export class BatchScheduler<T> {
  private queue: Queued<T>[] = [];
  private inFlight = 0;
  private timer: unknown;
  private timerAt = Infinity;
  /** Earliest deadline in the queue, kept incrementally so that enqueue stays O(1). */
  private minDeadline = Infinity;
  private closing = false;
  private pumping = false;
  private idleWaiters: (() => void)[] = [];
  private readonly preferred: Set<number>;
  private readonly maxBatchRows: number;

  constructor(
    private readonly options: SchedulerOptions,
    private readonly clock: Clock,
    private readonly sink: SchedulerSink<T>,
  ) {
    this.preferred = new Set(options.preferredBatchSizes);
    this.maxBatchRows = Math.max(options.maxBatchRows ?? 0, options.maxBatchSize);
  }

  get depth(): number {
    return this.queue.length;
  }

  get executing(): number {
    return this.inFlight;
  }

  /** Queues a request of `rows` rows; throws a ServiceError (400/503/504) when it cannot be queued. */
  enqueue(item: T, rows: number, deadline: number): void {
    const { label, maxBatchSize, maxQueueSize } = this.options;
    if (this.closing) throw unavailable(`${label} is unloading; retry`);
    if (maxBatchSize > 0 && rows > maxBatchSize) {
      throw badRequest(
        `${label} accepts at most ${maxBatchSize} rows per request (max_batch_size), got ${rows}`,
      );
    }
    if (this.queue.length >= maxQueueSize) {
      this.sink.overflow?.();
      throw unavailable(
        `${label} is overloaded: ${maxQueueSize} requests already queued (max_queue_size)`,
        this.options.retryAfterSeconds ?? 1,
      );
    }
    const now = this.clock.now();
    if (deadline <= now) throw deadlineExceeded(`${label}: request deadline passed before it was queued`);
    this.queue.push({ item, rows, enqueuedAt: now, deadline });
    if (deadline < this.minDeadline) this.minDeadline = deadline;
    this.sink.queueDepth?.(this.queue.length);
    this.pump();
  }

  /** One dispatched batch has finished executing. */
  complete(): void {
    this.inFlight--;
    this.pump();
  }

  /**
   * Stops accepting requests and sends everything queued without waiting for the queue delay;
   * resolves once the queue is empty and nothing is executing.
   */
  drain(): Promise<void> {
    this.closing = true;
    this.pump();
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.inFlight === 0;
  }

  private pump(): void {
    // dispatch() may complete synchronously (and call back into complete()); one loop handles it.
    if (this.pumping) return;
    this.pumping = true;
    try {
      const now = this.clock.now();
      this.expireOverdue(now);
      while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
        const take = this.batchLength(now);
        if (take === 0) break;
        const batch = this.queue.splice(0, take);
        this.recomputeMinDeadline();
        this.inFlight++;
        this.sink.queueDepth?.(this.queue.length);
        this.sink.dispatch(batch, now);
      }
      this.armTimer(now);
    } finally {
      this.pumping = false;
    }
    if (this.isIdle() && this.idleWaiters.length > 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private expireOverdue(now: number): void {
    if (this.minDeadline > now) return;
    const kept: Queued<T>[] = [];
    for (const q of this.queue) {
      if (q.deadline <= now) {
        const waitedMs = Math.round(now - q.enqueuedAt);
        this.sink.expire(
          q,
          deadlineExceeded(`${this.options.label}: request timed out after ${waitedMs} ms in the queue`),
        );
      } else {
        kept.push(q);
      }
    }
    this.queue = kept;
    this.recomputeMinDeadline();
    this.sink.queueDepth?.(this.queue.length);
  }

  private recomputeMinDeadline(): void {
    let min = Infinity;
    for (const q of this.queue) if (q.deadline < min) min = q.deadline;
    this.minDeadline = min;
  }

  /** How many requests from the head of the queue to send now; 0 means wait. */
  private batchLength(now: number): number {
    const { batching, maxQueueDelayMs } = this.options;
    if (!batching) return 1;
    const cap = this.maxBatchRows;
    let fit = 0;
    let rows = 0;
    let preferredFit = 0;
    for (const q of this.queue) {
      if (rows + q.rows > cap) break;
      rows += q.rows;
      fit++;
      if (this.preferred.has(rows)) preferredFit = fit;
    }
    const full = rows === cap || fit < this.queue.length;
    if (full || this.closing) return fit;
    if (preferredFit > 0) return preferredFit;
    if (now - this.queue[0].enqueuedAt >= maxQueueDelayMs) return fit;
    return 0;
  }

  /** One timer: the earlier of the head's queue-delay expiry (if a batch slot is free) and the first deadline. */
  private armTimer(now: number): void {
    let at = Infinity;
    if (this.queue.length > 0) {
      if (this.inFlight < this.options.maxInFlight && this.options.batching) {
        at = this.queue[0].enqueuedAt + this.options.maxQueueDelayMs;
      }
      at = Math.min(at, this.minDeadline);
    }
    if (at === this.timerAt) return;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at === Infinity) return;
    this.timer = this.clock.setTimer(at - now, () => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    });
  }
}
