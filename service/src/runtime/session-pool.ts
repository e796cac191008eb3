import { availableParallelism } from 'node:os';
import { MIN_ORT_THREADS } from '@ml-platform/contract/names';
import type { EngineLogger } from '../core/logger';
import type { Tensor } from '../core/tensor';
import { openInline, type OpenedModel, type RunOptions, type RunOutput } from './ort-runner';
import { OrtWorker } from './ort-worker';
import { InlineLane } from './inline-lane';
import { RunTimeAverage } from './run-time';
import type { SessionConfig } from './session';

/**
 * A bounded set of onnxruntime threads shared by every loaded model, so that a model costs its
 * sessions and not a thread (a Node worker thread is an isolate: about 10 MiB and 150 ms of CPU to
 * start, docs/benchmarks.md).
 *
 * Threads: `size` shared ones (default: the cores, at least 2), plus one dedicated thread for each
 * instance a model's instance_group asks for beyond the first. 200 models on 2 cores use 2 threads.
 *
 * Scheduling, so that a slow model cannot stall the others (a session runs synchronously and holds
 * its thread until the batch is done, and sessions cannot move between threads):
 * - every model version is opened on TWO shared threads (the two holding the fewest sessions), and
 *   its first instance runs on whichever of them has the least compute queued: the sum, over the
 *   runs sent there and not yet answered, of each one's version's recent run time (a moving
 *   average, seeded by the warm-up). Counting runs would not do: one 250 ms batch of a slow model
 *   and one 0.2 ms batch of a tree weigh the same;
 * - a version has at most one batch on the shared threads at a time; its further instances run
 *   only on their own dedicated threads (the batcher keeps at most `concurrency` batches in flight).
 * So any one model, however slow, occupies at most one shared thread, and every other model still
 * has a replica on a thread it does not occupy. The price is a second copy of each model's session
 * (about 0.2 MiB for a small tree, the weights again for a large network): cheaper than a thread
 * per model, and it keeps the thread count off the model count. Two slow models can still hold
 * both threads of a third; more shared threads (ORT_THREADS) make that less likely.
 *
 * A version whose warm-up ran within a few times `inlineMaxSeconds` (trees and linear models: 10
 * to 50 µs) also gets a session on the event loop's thread (inline-lane.ts), and its batches run there while
 * the median of its recent runs stays within that bound: handing a batch to a thread and taking the
 * answer costs the process more than such a run (docs/benchmarks.md, "The onnxruntime hand-off").
 * Once that median passes the bound its batches go back to its threads (run-time.ts), so a slow
 * model never runs on the event loop. The inline session serves only while one of the version's
 * threads is alive, so a lost thread fails the same models with or without it.
 */
export class SessionPool {
  private readonly shared: OrtWorker[];
  private readonly dedicated = new Set<OrtWorker>();
  /** Expected seconds of compute sent to each thread and not yet answered. */
  private readonly queued = new Map<OrtWorker, number>();
  private inlineCount = 0;

  constructor(
    private readonly logger: EngineLogger,
    size: number = defaultPoolThreads(),
    /** Average run time up to which a version runs on the event loop's thread; 0: never. */
    private readonly inlineMaxSeconds = INLINE_MAX_SECONDS,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`session pool size must be >= 1, got ${size}`);
    this.shared = Array.from({ length: size }, () => new OrtWorker(logger));
  }

  /** Every live thread: the shared ones and the dedicated ones of loaded instances. */
  get threads(): readonly OrtWorker[] {
    return [...this.shared, ...this.dedicated];
  }

  /** Sessions open on the event loop's thread (see the class comment). */
  get inlineSessions(): number {
    return this.inlineCount;
  }

  /** Why sessions were lost: one line per thread that ended without being closed. */
  get failures(): Error[] {
    return this.threads.flatMap((t) => (t.failure ? [t.failure] : []));
  }

  /** Opens `instances` concurrently runnable sessions of a model version (see the class comment). */
  async open(
    file: string,
    config: SessionConfig,
    logger: EngineLogger,
    instances: number,
  ): Promise<OpenedModel> {
    const homes = [...this.shared]
      .filter((t) => !t.failure)
      .sort((a, b) => a.sessions - b.sessions)
      .slice(0, SHARED_REPLICAS);
    if (homes.length === 0) throw new Error('every onnxruntime thread has failed');
    const own = Array.from({ length: instances - 1 }, () => new OrtWorker(this.logger));
    for (const t of own) this.dedicated.add(t);
    const closeOwn = () =>
      Promise.all(
        own.map((t) => {
          this.dedicated.delete(t);
          this.queued.delete(t);
          return t.close();
        }),
      );
    const opening = [...homes, ...own].map((t) => t.open(file, config, logger));
    const opened = await Promise.allSettled(opening);
    const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) {
      await Promise.all(opened.map((o) => (o.status === 'fulfilled' ? o.value.release() : undefined)));
      await closeOwn();
      throw failed.reason;
    }
    const sessions = opened.map((o) => (o as PromiseFulfilledResult<OpenedModel>).value);
    const lanes: Lane[] = sessions.map((session, i) => ({
      thread: i < homes.length ? homes[i] : own[i - homes.length],
      session,
      dedicated: i >= homes.length,
      running: 0,
    }));
    const cost = new RunTimeAverage(0.3);
    const inline = new InlineLane(() => openInline(file, config, logger), this.inlineMaxSeconds);
    const timed = async (
      session: Pick<OpenedModel, 'run'>,
      inputs: readonly Tensor[],
      outputs: readonly string[],
      options?: RunOptions,
    ) => {
      const ran = await session.run(inputs, outputs, options);
      cost.observe(ran.busySeconds);
      inline.observe(ran.busySeconds);
      return ran;
    };
    const runOn = async (
      lane: Lane,
      inputs: readonly Tensor[],
      outputs: readonly string[],
      options?: RunOptions,
    ) => {
      const expected = cost.seconds;
      lane.running++;
      this.queued.set(lane.thread, (this.queued.get(lane.thread) ?? 0) + expected);
      try {
        return await timed(lane.session, inputs, outputs, options);
      } finally {
        lane.running--;
        this.queued.set(lane.thread, (this.queued.get(lane.thread) ?? 0) - expected);
      }
    };
    // Only while a thread still holds the version: a lost thread fails the same models as without it.
    const inlineServes = () => inline.serves && lanes.some((l) => !l.thread.failure);
    return {
      io: sessions[0].io,
      provider: sessions[0].provider,
      concurrency: instances,
      // Not async: it only forwards a promise (a lane's throw is the batcher's failed run either way).
      run: (inputs, outputs, options): Promise<RunOutput> =>
        inlineServes()
          ? timed(inline, inputs, outputs)
          : runOn(
              pickLane(lanes, (l) => this.queued.get(l.thread) ?? 0),
              inputs,
              outputs,
              options,
            ),
      warm: async (inputs, outputs) => {
        const runs = await Promise.all(lanes.map((l) => runOn(l, inputs, outputs)));
        const again = async () => (await runOn(lanes[0], inputs, outputs)).busySeconds;
        const seconds = runs.map((r) => r.busySeconds);
        if (inline.isOpen) await timed(inline, inputs, outputs);
        else if (
          sessions[0].provider === 'cpu' &&
          (await inline.openIfSmall(seconds, again, inputs, outputs))
        )
          this.inlineCount++;
      },
      release: async () => {
        if (inline.isOpen) this.inlineCount--;
        await Promise.all([...sessions, inline].map((s) => s.release()));
        await closeOwn();
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
    this.dedicated.clear();
  }
}

/**
 * Average run time up to which a version runs on the event loop's thread. A hand-off costs the
 * event loop 15 to 40 µs per batch and the process 40 to 100 µs (docs/benchmarks.md, "The
 * onnxruntime hand-off"). The bundled trees and linear models run in 10 to 15 µs on a quiet
 * machine and 40 to 50 µs on a busy one; digits-mlp takes 60 µs at one row and 200 to 660 µs at
 * 64, heavy-mlp 0.75 ms at one row.
 */
export const INLINE_MAX_SECONDS = 100e-6;

/** Shared threads each version is opened on: two, so that one busy model never leaves it none. */
const SHARED_REPLICAS = 2;

/** What the choice of a lane looks at. */
export interface LaneState {
  readonly thread: { readonly failure?: Error };
  /** On a thread of its own (an instance beyond the first), rather than a shared one. */
  readonly dedicated: boolean;
  /** This version's batches running on it. */
  running: number;
}

/** One of a version's sessions and the thread it lives on. */
interface Lane extends LaneState {
  readonly thread: OrtWorker;
  readonly session: OpenedModel;
}

/**
 * Where a version's next batch runs: an idle dedicated instance; else, when the version has no
 * batch on a shared thread yet, its shared replica whose thread has the least compute queued
 * (`queuedSeconds`; the first on a tie, for a warm cache). A lane on a failed thread is skipped;
 * with none left, the thread's error.
 */
export function pickLane<L extends LaneState>(lanes: readonly L[], queuedSeconds: (lane: L) => number): L {
  const live = lanes.filter((l) => !l.thread.failure);
  if (live.length === 0) throw lanes[0].thread.failure!;
  const idleOwn = live.find((l) => l.dedicated && l.running === 0);
  if (idleOwn) return idleOwn;
  const shared = live.filter((l) => !l.dedicated);
  // More batches than instances only after a dedicated thread died: they queue on the least busy.
  const candidates = shared.length > 0 && shared.every((l) => l.running === 0) ? shared : live;
  return candidates.reduce((best, l) => (queuedSeconds(l) < queuedSeconds(best) ? l : best));
}

/**
 * Shared threads per process: the cores, divided among node:cluster workers, and never fewer than
 * two, the least that keeps one slow model from stalling the rest (see SessionPool).
 */
export function defaultPoolThreads(processes = 1): number {
  return Math.max(MIN_ORT_THREADS, Math.floor(availableParallelism() / processes));
}
