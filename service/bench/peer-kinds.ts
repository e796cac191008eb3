/**
 * The servers the peers bench (peers.ts) runs against the service, and how each is launched: its
 * pinned requirements, its venv, its command line and when it is ready. Each answers the service's
 * URLs (`/v2/models/<name>/versions/<version>/infer`) with the Open Inference Protocol JSON body, on
 * the same ONNX files, with onnxruntime on one intra-op thread, and batches as the service's model
 * config does (`peerBatching`). Process handling is peer-process.ts's.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ModelConfigSchema, type ModelConfig } from '../src/repository/model-config';
import { freePort } from '../../test/support/free-port';

export const PEER_NAMES = ['fastapi', 'mlserver', 'litserve'] as const;
export type PeerName = (typeof PEER_NAMES)[number];

const isPeerName = (name: string): name is PeerName => (PEER_NAMES as readonly string[]).includes(name);

/** `--peers fastapi,mlserver`: the named peers, once each, in the order given. */
export function parsePeers(value: string): PeerName[] {
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const unknown = names.filter((n) => !isPeerName(n));
  if (unknown.length > 0) {
    throw new Error(
      `--peers: unknown peer ${unknown.map((n) => `'${n}'`).join(', ')}; choose from ${PEER_NAMES.join(', ')}`,
    );
  }
  if (names.length === 0) throw new Error(`--peers: name at least one of ${PEER_NAMES.join(', ')}`);
  return [...new Set(names as PeerName[])];
}

/** What a peer batches by: up to `maxBatchSize` requests, waiting at most `maxBatchTimeSeconds`. */
export interface PeerBatching {
  maxBatchSize: number;
  maxBatchTimeSeconds: number;
}

/**
 * The service's batching window for the model, in the peers' terms. MLServer and LitServe count
 * requests where the service counts rows (its `max_batch_rows` caps the rows of a batch), so a peer
 * may batch `max_batch_size` requests of many rows each: it is never held to fewer rows than the
 * service. The wait is the service's `max_queue_delay_microseconds`.
 */
export function peerBatching(config: Pick<ModelConfig, 'max_batch_size' | 'dynamic_batching'>): PeerBatching {
  return {
    maxBatchSize: Math.max(1, config.max_batch_size),
    maxBatchTimeSeconds: (config.dynamic_batching?.max_queue_delay_microseconds ?? 0) / 1e6,
  };
}

/** One model version a peer serves. */
export interface ServedModel extends PeerBatching {
  name: string;
  version: string;
  file: string;
}

/** `name/version` in a model repository, with the batching of its config.json. */
export function servedModel(models: string, entry: string): ServedModel {
  const [name, version] = entry.split('/');
  const config = ModelConfigSchema.parse(
    JSON.parse(readFileSync(path.join(models, name, 'config.json'), 'utf8')),
  );
  return { name, version, file: path.join(models, name, version, 'model.onnx'), ...peerBatching(config) };
}

/** A peer's command, ready to spawn. */
export interface Launch {
  port: number;
  args: string[];
  env: Record<string, string>;
  /** Paths that answer 200 once every model is loaded. */
  ready: string[];
  /** Removes what the launch wrote (MLServer's settings). */
  cleanup?: () => void;
}

export interface PeerKind {
  /** For the venv's "needs Python" message. */
  what: string;
  requirements: string;
  /** The venv's directory at the repository root, ignored by git. */
  venv: string;
  /** `repository` holds the models' folders; `models` are the versions to serve. */
  launch(repository: string, models: ServedModel[]): Promise<Launch>;
}

const PEER_DIR = path.join(__dirname, 'peer');

/**
 * The workers each peer runs, chosen for this 2-core machine: two inference processes, two
 * onnxruntime sessions of one thread each, as FastAPI's 2 uvicorn workers have and as the service's
 * heavy-mlp has in two instances. MLServer parses HTTP in its main process and runs `parallel_workers`
 * inference processes beside it (1 worker made 2.3k and 0.5k rows/s with 32-row requests where 2
 * made 6.5k and 6.3k, docs/benchmarks.md); LitServe runs `workers_per_device` per model and, by
 * default, one uvicorn API process per worker, 4 for two models, so it is held to 2 as well.
 */
export const PEER_WORKERS = 2;

export const PEER_KINDS: Record<PeerName, PeerKind> = {
  fastapi: {
    what: 'FastAPI + onnxruntime peer',
    requirements: path.join(PEER_DIR, 'requirements.txt'),
    venv: '.venv-peer',
    async launch(repository, models) {
      const port = await freePort();
      return {
        port,
        // uvicorn's workers share one socket bound to the port given here.
        args: [
          '-m',
          'uvicorn',
          'app:app',
          '--app-dir',
          PEER_DIR,
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--workers',
          String(PEER_WORKERS),
          '--loop',
          'uvloop',
          '--http',
          'httptools',
          '--no-access-log',
          '--log-level',
          'warning',
        ],
        env: {
          PEER_MODELS: repository,
          PEER_SERVE: models.map((m) => `${m.name}/${m.version}`).join(','),
        },
        ready: ['/openapi.json'],
      };
    },
  },
  mlserver: {
    what: 'MLServer peer',
    requirements: path.join(PEER_DIR, 'mlserver', 'requirements.txt'),
    venv: '.venv-peer-mlserver',
    async launch(_repository, models) {
      const [port, grpcPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
      // MLServer reads its settings and each model's from a folder; it also keeps its metrics and
      // environments folders in the working directory, so all of it goes into one temporary folder.
      const dir = mkdtempSync(path.join(tmpdir(), 'mlserver-peer-'));
      const json = (file: string, value: unknown) => writeFileSync(file, JSON.stringify(value, null, 2));
      json(path.join(dir, 'settings.json'), {
        host: '127.0.0.1',
        http_port: port,
        grpc_port: grpcPort,
        metrics_port: metricsPort,
        parallel_workers: PEER_WORKERS,
        // Its default: a debug log and an access-log line per request, which no deployment keeps.
        debug: false,
        metrics_dir: path.join(dir, '.metrics'),
        environments_dir: path.join(dir, '.envs'),
      });
      for (const m of models) {
        mkdirSync(path.join(dir, m.name));
        json(path.join(dir, m.name, 'model-settings.json'), {
          name: m.name,
          implementation: 'runtime.OnnxRuntime',
          max_batch_size: m.maxBatchSize,
          max_batch_time: m.maxBatchTimeSeconds,
          parameters: { uri: m.file, version: m.version },
        });
      }
      return {
        port,
        // What its `mlserver` script runs, which has no `python -m` form.
        args: ['-c', 'from mlserver.cli import main; main()', 'start', dir],
        // Its parallel workers are spawned processes: they find the runtime through PYTHONPATH.
        env: { PYTHONPATH: path.join(PEER_DIR, 'mlserver') },
        ready: models.map((m) => `/v2/models/${m.name}/versions/${m.version}/ready`),
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  litserve: {
    what: 'LitServe peer',
    requirements: path.join(PEER_DIR, 'litserve', 'requirements.txt'),
    venv: '.venv-peer-litserve',
    async launch(_repository, models) {
      const port = await freePort();
      return {
        port,
        args: [path.join(PEER_DIR, 'litserve', 'server.py')],
        env: {
          PEER_PORT: String(port),
          PEER_WORKERS: String(PEER_WORKERS),
          PEER_API_SERVERS: String(PEER_WORKERS),
          PEER_SPEC: JSON.stringify(
            models.map((m) => ({
              model: m.name,
              version: m.version,
              path: m.file,
              max_batch_size: m.maxBatchSize,
              batch_timeout: m.maxBatchTimeSeconds,
            })),
          ),
        },
        ready: ['/health'],
      };
    },
  },
};
