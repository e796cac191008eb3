import type { Tensor } from '../core/tensor';
import type { OpenedModel, RunOutput } from './ort-runner';
import { inlineRunTime, runsInline } from './run-time';

/**
 * A version's session on the event loop's thread (see SessionPool): opened when the version's
 * warm-up has run within a few times `maxSeconds`, and serving only while the median of its recent
 * runs, wherever they ran, stays within `maxSeconds`.
 */
export class InlineLane {
  private session?: OpenedModel;
  private readonly recent;

  constructor(
    private readonly open: () => Promise<OpenedModel>,
    private readonly maxSeconds: number,
  ) {
    this.recent = inlineRunTime();
  }

  get isOpen(): boolean {
    return this.session !== undefined;
  }

  /** Whether the version's next batch should run here. */
  get serves(): boolean {
    return this.session !== undefined && runsInline(this.recent, this.maxSeconds);
  }

  /** Counts a run of the version, on any thread, once this lane is open. */
  observe(busySeconds: number): void {
    if (this.session) this.recent.observe(busySeconds);
  }

  run(inputs: readonly Tensor[], outputs: readonly string[]): Promise<RunOutput> {
    return this.session!.run(inputs, outputs);
  }

  /**
   * After a warm-up run of the version on its threads (`seconds`, each thread's time): opens the
   * session if the version is small, timing it again with `again` while unsure, and runs it once.
   * A session's first runs are its slowest (0.1 to 0.5 ms for a 10 µs tree) and a loaded machine
   * preempts some, so it opens within WARM_UP_SLACK times the bound, on the best time: opening costs
   * only a copy of a small model, and where its batches run is the recent runs' to decide, which start
   * at that best time. Its own first run is as slow as the threads' first ones and is not counted.
   * Resolves whether it opened.
   */
  async openIfSmall(
    seconds: readonly number[],
    again: () => Promise<number>,
    inputs: readonly Tensor[],
    outputs: readonly string[],
  ): Promise<boolean> {
    const within = this.maxSeconds * WARM_UP_SLACK;
    let fastest = Math.min(...seconds);
    for (let i = 0; i < RETIMES && fastest > this.maxSeconds && fastest <= RETIME_UNDER_SECONDS; i++)
      fastest = Math.min(fastest, await again());
    if (this.session || fastest > within) return false;
    const session = await this.open();
    await session.run(inputs, outputs).catch(async (e: unknown) => {
      await session.release();
      throw e;
    });
    this.session = session;
    this.recent.observe(fastest);
    return true;
  }

  async release(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.release();
  }
}

const WARM_UP_SLACK = 4;
/** Warm-up runs up to this long are timed up to RETIMES more times before the version is judged. */
const RETIME_UNDER_SECONDS = 1e-3;
const RETIMES = 4;
