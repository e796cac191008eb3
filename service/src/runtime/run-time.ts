/**
 * A model version's recent run time: a moving average of its runs' busy seconds, seeded by its
 * first run, each new run moving it `weight` of the way. The session pool weighs the compute
 * queued on a thread with one (weight 0.3), and decides with a slower one whether a batch may run
 * on the event loop's thread (`runsInline`).
 */
export class RunTimeAverage {
  /** 0 until the first run. */
  seconds = 0;

  constructor(private readonly weight: number) {}

  observe(busySeconds: number): void {
    this.seconds =
      this.seconds === 0 ? busySeconds : (1 - this.weight) * this.seconds + this.weight * busySeconds;
  }
}

/**
 * Whether a version's next batch runs on the event loop's thread instead of being handed to an
 * onnxruntime thread: while the slow average of its runs (`INLINE_WEIGHT`) stays within `maxSeconds`.
 * Handing a batch over and taking its answer costs the process more CPU than a
 * microsecond-scale model's whole run (docs/benchmarks.md, "The onnxruntime hand-off"); the
 * bound keeps a slower model off the event loop.
 */
export function runsInline(average: RunTimeAverage, maxSeconds: number): boolean {
  return average.seconds > 0 && average.seconds <= maxSeconds;
}

/**
 * The weight of the average `runsInline` reads. On a shared machine a 10 µs run is now and then
 * timed at 0.5 ms, its thread preempted: at 0.05 such an outlier moves the average by 25 µs. It
 * still bounds what a growing model can take from the event loop: its runs leave once they have
 * run longer than its average by bound / 0.05 in all (2 ms at the pool's 100 µs), plus the run
 * that tips it.
 */
export const INLINE_WEIGHT = 0.05;
