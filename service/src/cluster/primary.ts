import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from 'pino';
import type { ClusterMessage } from './messages';

/**
 * WORKERS > 1: this process only supervises. It forks the workers (they share the listening
 * socket), restarts one that dies unexpectedly, aggregates their metrics for GET /metrics, fans
 * repository load/unload out to all of them, and on SIGTERM drains them all and exits 0 when
 * every worker drained cleanly. A worker exiting 2 (bad configuration) or a crash loop stops the
 * whole service rather than restarting forever.
 */
/** More unexpected worker deaths than this within the window is a crash loop: stop instead. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

export function runPrimary(workers: number, logger: Logger): void {
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  let nextOp = 0;
  const ops = new Map<
    number,
    { origin: Worker; id: number; pending: number; error?: { status: number; message: string } }
  >();

  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (msg: ClusterMessage) => void onMessage(worker, msg));
  };

  async function onMessage(worker: Worker, msg: ClusterMessage) {
    if (msg.type === 'metrics:collect') {
      const text = await aggregator
        .clusterMetrics()
        .catch((e: Error) => `# metrics aggregation failed: ${e.message}\n`);
      worker.send({ type: 'metrics:result', id: msg.id, text } satisfies ClusterMessage);
    } else if (msg.type === 'repository:request') {
      const live = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
      const op = nextOp++;
      ops.set(op, { origin: worker, id: msg.id, pending: live.length });
      for (const w of live)
        w.send({
          type: 'repository:run',
          id: op,
          op: msg.op,
          model: msg.model,
          configJson: msg.configJson,
        } satisfies ClusterMessage);
    } else if (msg.type === 'repository:ran') {
      const op = ops.get(msg.id);
      if (!op) return;
      op.error ??= msg.error;
      if (--op.pending > 0) return;
      ops.delete(msg.id);
      op.origin.send({ type: 'repository:result', id: op.id, error: op.error } satisfies ClusterMessage);
    }
  }

  let exitCode = 0;
  const restarts: number[] = [];
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      const now = Date.now();
      restarts.push(now);
      while (restarts[0] < now - RESTART_WINDOW_MS) restarts.shift();
      // Exit code 2 is a configuration error: a new worker would fail the same way.
      if (code === 2 || restarts.length > MAX_RESTARTS) {
        logger.error({ pid: worker.process.pid, code, signal }, 'worker failed; stopping the service');
        exitCode = code === 2 ? 2 : 1;
        stop('SIGTERM');
      } else {
        logger.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
        fork();
        return;
      }
    }
    if (code !== 0 && exitCode === 0) exitCode = 1;
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode);
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining workers');
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  for (let i = 0; i < workers; i++) fork();
  logger.info({ workers }, 'primary started');
}
