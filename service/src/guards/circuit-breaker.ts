export type BreakerState = 'closed' | 'half-open' | 'open';

export interface CircuitSettings {
  /** Opens when failures exceed this share of the window's calls (strictly more than). */
  errorThresholdPercentage: number;
  /** Fewer calls than this in the window never open it. */
  volumeThreshold: number;
  /** How long it stays open before letting one probe through (half-open). */
  resetTimeoutMs: number;
  /** The rolling window the rate is taken over, in `buckets` slices. */
  rollingCountTimeoutMs: number;
  buckets?: number;
}

/**
 * One circuit breaker's state machine, with opossum's semantics (which it replaces on the request
 * path, where opossum cost several promises, two events and a growing latency array per call):
 *
 * - every call counts in a rolling window of `buckets` time slices, refused ones included;
 * - a failure opens it when the window holds at least `volumeThreshold` calls and its failures are
 *   more than `errorThresholdPercentage` of them;
 * - open, it refuses calls; after `resetTimeoutMs` it turns half-open and lets one probe through;
 * - the probe's success closes it, its failure opens it again. Closing keeps the window's counts.
 *
 * Callers report each admitted call's outcome with `succeeded` or `failed`.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  /** Half-open and its probe not yet let through. */
  private probeAvailable = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly calls: Uint32Array;
  private readonly failures: Uint32Array;
  private readonly sliceMs: number;
  /** The time slice the newest bucket counts; buckets are indexed by slice modulo their count. */
  private slice: number;
  /** When it last opened. */
  private openedAt = 0;

  constructor(
    private readonly settings: CircuitSettings,
    /** Told of every change of state. */
    private readonly onChange: (state: BreakerState) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    const buckets = settings.buckets ?? 10;
    this.calls = new Uint32Array(buckets);
    this.failures = new Uint32Array(buckets);
    this.sliceMs = settings.rollingCountTimeoutMs / buckets;
    this.slice = Math.floor(this.now() / this.sliceMs);
  }

  get state(): BreakerState {
    return this.current;
  }

  /** How long until an open breaker lets its probe through, for Retry-After. */
  msUntilProbe(): number {
    return Math.max(0, this.openedAt + this.settings.resetTimeoutMs - this.now());
  }

  /** Counts a call; false when it must be refused (open, or half-open with its probe already out). */
  tryPass(): boolean {
    this.calls[this.bucket()]++;
    if (this.current === 'closed') return true;
    if (this.current === 'half-open' && this.probeAvailable) {
      this.probeAvailable = false;
      return true;
    }
    return false;
  }

  succeeded(): void {
    if (this.current === 'half-open') this.close();
  }

  failed(): void {
    const at = this.bucket();
    this.failures[at]++;
    if (this.current === 'half-open') return this.open();
    let calls = 0;
    let failures = 0;
    for (let i = 0; i < this.calls.length; i++) {
      calls += this.calls[i];
      failures += this.failures[i];
    }
    if (
      calls >= this.settings.volumeThreshold &&
      (failures / calls) * 100 > this.settings.errorThresholdPercentage
    )
      this.open();
  }

  /** Stops the reset timer; the breaker is not used afterwards. */
  shutdown(): void {
    clearTimeout(this.timer);
  }

  /** The current slice's bucket, after emptying those of the slices that passed since the last call. */
  private bucket(): number {
    const slice = Math.floor(this.now() / this.sliceMs);
    const n = this.calls.length;
    if (slice !== this.slice) {
      const passed = Math.min(Math.max(slice - this.slice, 0), n);
      for (let k = 1; k <= passed; k++) {
        const i = (this.slice + k) % n;
        this.calls[i] = 0;
        this.failures[i] = 0;
      }
      this.slice = slice;
    }
    return slice % n;
  }

  private open(): void {
    if (this.current === 'open') return;
    this.current = 'open';
    this.probeAvailable = false;
    this.openedAt = this.now();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.current = 'half-open';
      this.probeAvailable = true;
      this.onChange('half-open');
    }, this.settings.resetTimeoutMs);
    this.timer.unref();
    this.onChange('open');
  }

  private close(): void {
    clearTimeout(this.timer);
    this.current = 'closed';
    this.probeAvailable = false;
    this.onChange('closed');
  }
}
