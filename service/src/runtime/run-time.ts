/**
 * A model version's recent run time: a moving average of its runs' busy seconds, seeded by its
 * first run, each new run moving it `weight` of the way. The session pool weighs the compute
 * queued on a thread with one (weight 0.3), and decides with a slower one whether a batch may run
 * on the event loop's thread (`runsInline`).
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

/**
 * Whether a version's next batch runs on the event loop's thread instead of being handed to an
 * onnxruntime thread: while the slow average of its runs (`inlineAverage`) stays within `maxSeconds`.
 * Handing a batch over and taking its answer costs the process more CPU than a
 * microsecond-scale model's whole run (docs/benchmarks.md, "The onnxruntime hand-off"); the
 * bound keeps a slower model off the event loop.
 */
export function runsInline(average: RunTimeAverage, maxSeconds: number): boolean {
  return average.seconds > 0 && average.seconds <= maxSeconds;
}

/**
 * The average `runsInline` reads, for a bound of `maxSeconds`. On a shared machine a 10 µs run is
 * now and then timed at several ms, its thread preempted. Weighted 0.05 and counted as at most 10
 * times the bound, one such run moves the average by half the bound at most, and the average soon
 * comes back. A model whose runs really grow still leaves the event loop within two runs once they
 * take 10 times the bound or more.
 */
export const inlineAverage = (maxSeconds: number): RunTimeAverage =>
  new RunTimeAverage(0.05, 10 * maxSeconds);
