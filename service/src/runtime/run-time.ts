/**
 * A model version's recent run time: a moving average of its runs' busy seconds, seeded by its
 * first run, each new run moving it `weight` of the way. The session pool weighs the compute
 * queued on a thread with one (weight 0.3).
 */
export class RunTimeAverage {
  /** 0 until the first run. */
  seconds = 0;

  /** `cap`: a run counts as at most this long. */
  constructor(
    private readonly weight: number,
    private readonly cap = Infinity,
  ) {}

  observe(busySeconds: number): void {
    const s = Math.min(busySeconds, this.cap);
    this.seconds = this.seconds === 0 ? s : (1 - this.weight) * this.seconds + this.weight * s;
  }
}

/** A run time as `runsInline` reads it: 0 until the first run. */
export interface RunTimeReading {
  readonly seconds: number;
  observe(busySeconds: number): void;
}

/**
 * Whether a version's next batch runs on the event loop's thread instead of being handed to an
 * onnxruntime thread: while its recent run time (`inlineRunTime`) stays within `maxSeconds`.
 * Handing a batch over and taking its answer costs the process more CPU than a
 * microsecond-scale model's whole run (docs/benchmarks.md, "The onnxruntime hand-off"); the
 * bound keeps a slower model off the event loop.
 */
export function runsInline(reading: RunTimeReading, maxSeconds: number): boolean {
  return reading.seconds > 0 && reading.seconds <= maxSeconds;
}

/**
 * The median of a version's last RECENT_RUNS runs. Runs are timed on the wall clock, and on a busy
 * machine a 60 µs run is now and then timed at several ms, its thread preempted. An average moved
 * by such runs crossed the bound whenever one run in ten or so was preempted, and sent tiny models
 * to their threads exactly when CPU was short; the median ignores them unless most recent runs were.
 * A model whose runs really grow past the bound leaves the event loop after three of them.
 */
export class RecentRunTimes implements RunTimeReading {
  private readonly runs = new Float64Array(RECENT_RUNS);
  private readonly sorted = new Float64Array(RECENT_RUNS);
  private count = 0;
  private next = 0;
  seconds = 0;

  observe(busySeconds: number): void {
    this.runs[this.next] = busySeconds;
    this.next = (this.next + 1) % RECENT_RUNS;
    if (this.count < RECENT_RUNS) this.count++;
    const recent = this.sorted.subarray(0, this.count);
    recent.set(this.runs.subarray(0, this.count));
    recent.sort();
    // The lower middle of an even count: one slow run among two does not decide.
    this.seconds = recent[(this.count - 1) >> 1];
  }
}

const RECENT_RUNS = 5;

/** The reading `runsInline` decides on. */
export const inlineRunTime = (): RunTimeReading => new RecentRunTimes();
