import type { Tensor } from '../core/tensor';
import type { OpenedModel, RunOutput } from './ort-runner';
import { INLINE_WEIGHT, RunTimeAverage, runsInline } from './run-time';

/**
 * A version's session on the event loop's thread (see SessionPool): opened only once the version's
 * warm-up has run within `maxSeconds`, and serving only while the slow average of its runs, wherever
 * they ran, stays within it.
 */
export class InlineLane {
  private session?: OpenedModel;
  private readonly average = new RunTimeAverage(INLINE_WEIGHT);

  constructor(
    private readonly open: () => Promise<OpenedModel>,
    private readonly maxSeconds: number,
  ) {}

  get isOpen(): boolean {
    return this.session !== undefined;
  }

  /** Whether the version's next batch should run here. */
  get serves(): boolean {
    return this.session !== undefined && runsInline(this.average, this.maxSeconds);
  }

  /** Counts a run of the version, on any thread, once this lane is open. */
  observe(busySeconds: number): void {
    if (this.session) this.average.observe(busySeconds);
  }

  run(inputs: readonly Tensor[], outputs: readonly string[]): Promise<RunOutput> {
    return this.session!.run(inputs, outputs);
  }

  /**
   * Opens the session when a warm-up run of the version took at most the bound (`fastest`, its
   * best), and runs it once: that first run is as slow as the threads' first ones were, and is not
   * counted. Resolves whether it opened.
   */
  async openIfWithin(
    fastest: number,
    inputs: readonly Tensor[],
    outputs: readonly string[],
  ): Promise<boolean> {
    if (this.session || fastest > this.maxSeconds) return false;
    const session = await this.open();
    await session.run(inputs, outputs).catch(async (e: unknown) => {
      await session.release();
      throw e;
    });
    this.session = session;
    this.average.observe(fastest);
    return true;
  }

  async release(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.release();
  }
}
