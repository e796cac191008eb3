import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Tensor } from '../core/tensor';
import type { EngineLogger } from '../core/logger';
import type { OnnxIo } from '../repository/signature';
import { singleSession, type OpenedModel, type RunOptions } from './ort-runner';
import type { SessionConfig } from './session';
import { reviveTensor, transferablesOf, type WorkerReply, type WorkerRequest } from './worker-protocol';

type Ask = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve(ok: NonNullable<WorkerReply['ok']>): void;
  reject(error: Error): void;
  logger?: EngineLogger;
}

/**
 * One worker thread that owns onnxruntime sessions and runs them, so that a batch computing never
 * blocks the engine's event loop. The session pool (./session-pool) places sessions on a few of them.
 */
export class OrtWorker {
  /** The thread itself: its exit, whatever the cause, fails every session it held. */
  readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited?: Error;
  private closed = false;
  /** Sessions open on this thread, for placing the next one. */
  sessions = 0;

  constructor(private readonly logger: EngineLogger) {
    this.worker = spawnSessionWorker();
    this.worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    this.worker.on('error', (e) => this.fail(new Error(`onnxruntime worker failed: ${e.message}`)));
    this.worker.on('exit', (code) => this.fail(new Error(`onnxruntime worker exited with code ${code}`)));
    // Idle, the worker must not keep a finished process alive; pending calls hold it via ref().
    this.worker.unref();
  }

  /** Opens one session on this thread. Counted from the start, so that concurrent placements see it. */
  async open(file: string, config: SessionConfig, logger?: EngineLogger): Promise<OpenedModel> {
    this.sessions++;
    const ok = await this.ask({ op: 'open', file, config }, logger).catch((e: Error) => {
      this.sessions--;
      throw e;
    });
    const handle = ok.handle!;
    let released = false;
    return singleSession(
      ok.io as OnnxIo,
      ok.provider!,
      async (inputs: readonly Tensor[], outputs: readonly string[], options?: RunOptions) => {
        const lent = options?.lend === true;
        const run = { op: 'run', handle, inputs: inputs as Tensor[], outputs, lent } as const;
        const reply = await this.ask(run, undefined, lent ? transferablesOf(inputs) : []);
        return {
          outputs: reply.outputs!.map(reviveTensor),
          busySeconds: reply.busySeconds!,
          ...(lent ? { inputs: reply.inputs!.map(reviveTensor) } : {}),
        };
      },
      async () => {
        if (released) return;
        released = true;
        this.sessions--;
        if (!this.exited) await this.ask({ op: 'release', handle });
      },
    );
  }

  /** Set once the thread is gone: every session it held is gone with it. */
  get failure(): Error | undefined {
    return this.closed ? undefined : this.exited;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.exited ??= new Error('onnxruntime worker closed');
    await this.worker.terminate();
  }

  /** `transfer`: buffers moved to the thread rather than copied (a lent run's inputs). */
  private ask(
    request: Ask,
    logger?: EngineLogger,
    transfer: ArrayBuffer[] = [],
  ): Promise<NonNullable<WorkerReply['ok']>> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject, logger });
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }

  private onReply(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    if (reply.log) {
      const { level, obj, msg } = reply.log;
      (p.logger ?? this.logger)[level](obj, msg);
      return;
    }
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.error !== undefined) p.reject(new Error(reply.error));
    else p.resolve(reply.ok ?? {});
  }

  private fail(error: Error): void {
    if (!this.closed && !this.exited)
      this.logger.error({ error: error.message }, 'onnxruntime worker thread lost');
    this.exited ??= error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}

/** Under tsx or ts-jest the worker's source is TypeScript, which a bare worker cannot load. */
function spawnSessionWorker(): Worker {
  const ts = __filename.endsWith('.ts');
  const file = join(__dirname, `session-worker.${ts ? 'ts' : 'js'}`);
  if (!ts) return new Worker(file);
  // Resolved here: an eval'd worker resolves modules from the working directory, not from this file.
  const tsx = require.resolve('tsx/cjs/api');
  const boot = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(file)});`;
  return new Worker(boot, { eval: true });
}
