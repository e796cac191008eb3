import { AggregatorRegistry, type Registry } from 'prom-client';
import type { InferenceEngine } from '../core/engine';
import { ServiceError } from '../core/errors';
import { statusOf } from '../http/respond';
import type { ClusterOps } from '../http/cluster-ops';
import type { ClusterMessage, RepositoryOp } from './messages';

const TIMEOUT_MS = 60_000;

/**
 * A cluster worker's side of the IPC: /metrics answers with every worker's metrics, and a
 * repository load/unload received by one worker runs on all of them.
 */
export function workerClusterOps(registry: Registry, engine: InferenceEngine): ClusterOps {
  new AggregatorRegistry(); // installs prom-client's worker-side listener
  AggregatorRegistry.setRegistries([registry]);
  let next = 0;
  const waiting = new Map<number, (msg: ClusterMessage) => void>();
  const send = (msg: ClusterMessage) => process.send!(msg);

  process.on('message', (msg: ClusterMessage) => {
    if (msg.type === 'metrics:result' || msg.type === 'repository:result') {
      waiting.get(msg.id)?.(msg);
      waiting.delete(msg.id);
    } else if (msg.type === 'repository:run') {
      (msg.op === 'load' ? engine.load(msg.model, msg.configJson) : engine.unload(msg.model)).then(
        () => send({ type: 'repository:ran', id: msg.id }),
        (e: unknown) =>
          send({
            type: 'repository:ran',
            id: msg.id,
            error: { status: statusOf(e), message: (e as Error).message },
          }),
      );
    }
  });

  const ask = (build: (id: number) => ClusterMessage): Promise<ClusterMessage> =>
    new Promise((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new ServiceError(504, 'the cluster primary did not answer in time'));
      }, TIMEOUT_MS);
      waiting.set(id, (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      send(build(id));
    });

  const repository = async (op: RepositoryOp, model: string, configJson?: string) => {
    const res = await ask((id) => ({ type: 'repository:request', id, op, model, configJson }));
    if (res.type === 'repository:result' && res.error)
      throw new ServiceError(res.error.status, res.error.message);
  };

  return {
    metricsText: async () => {
      const res = await ask((id) => ({ type: 'metrics:collect', id }));
      return res.type === 'metrics:result' ? res.text : '';
    },
    load: (model, configJson) => repository('load', model, configJson),
    unload: (model) => repository('unload', model),
  };
}
