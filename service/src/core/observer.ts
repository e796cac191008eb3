/**
 * What the engine reports, injected by the HTTP layer (prom-client metrics, pino logs). Times are in
 * seconds, Prometheus' base unit. Every hook is optional and must not throw.
 */
export interface EngineObserver {
  /** One executed batch: its rows, how long each of its requests waited, how long the run took. */
  onBatch?(event: BatchEvent): void;
  /** Requests waiting in a version's queue, after every change. */
  onQueueDepth?(event: { model: string; version: string; depth: number }): void;
  /** A version's load finished (ok) or failed; seconds covers session creation and warm-up. */
  onModelLoad?(event: {
    model: string;
    version: string;
    seconds: number;
    ok: boolean;
    reason?: string;
  }): void;
  /** A request the batcher answered without running it. */
  onReject?(event: { model: string; version: string; reason: 'queue_full' | 'deadline' }): void;
}

export interface BatchEvent {
  model: string;
  version: string;
  /** Rows in the batch (the batch dimension ORT saw; 1 for models without one). */
  size: number;
  /** Requests in the batch. */
  requests: number;
  /** Per request: enqueue to dispatch. */
  queueSeconds: number[];
  computeSeconds: number;
  /** The run's time on the onnxruntime thread alone (0 when it failed before running). */
  busySeconds: number;
  ok: boolean;
}
