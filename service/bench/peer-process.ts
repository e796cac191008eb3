/**
 * The FastAPI + onnxruntime peer (service/bench/peer/app.py) as a process group on loopback: its
 * pinned venv is made by the same code as the model optimiser's (models/optimize/python.ts), then
 * uvicorn runs it with 2 workers. `stop()` ends the whole group, and so does this process's exit,
 * so that no peer outlives a failed bench.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { ensureVenv, type VenvSpec } from '../../models/optimize/python';
import { REPO_ROOT } from '../../test/support/service-process';

const PEER_DIR = path.join(__dirname, 'peer');

const PEER_VENV: VenvSpec = {
  requirements: path.join(PEER_DIR, 'requirements.txt'),
  need: 'the peers bench runs a FastAPI + onnxruntime peer and needs Python 3',
  otherwise: 'or set BENCH_PYTHON',
};

export interface PeerOptions {
  /** A model repository (`<name>/<version>/model.onnx`). */
  models: string;
  /** `name/version` pairs the peer serves. */
  serve: string[];
  workers?: number;
  log(line: string): void;
}

export interface Peer {
  url: string;
  stop(): Promise<void>;
}

/** A free loopback port: uvicorn's workers share one socket bound to a port given up front. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startPeer(options: PeerOptions): Promise<Peer> {
  const python = await ensureVenv(
    {
      python: process.env.BENCH_PYTHON || 'python3',
      venv: path.resolve(process.env.BENCH_PEER_VENV || path.join(REPO_ROOT, '.venv-peer')),
    },
    options.log,
    PEER_VENV,
  );
  const port = await freePort();
  const child = spawn(
    python,
    [
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
      String(options.workers ?? 2),
      '--loop',
      'uvloop',
      '--http',
      'httptools',
      '--no-access-log',
      '--log-level',
      'warning',
    ],
    {
      env: { ...process.env, PEER_MODELS: options.models, PEER_SERVE: options.serve.join(',') },
      stdio: ['ignore', 'inherit', 'inherit'],
      // Its own process group, so that stop() reaches uvicorn's workers too.
      detached: true,
    },
  );
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  const onExit = () => killGroup('SIGKILL');
  process.once('exit', onExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    process.off('exit', onExit);
    killGroup('SIGTERM');
    const timer = setTimeout(() => killGroup('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitListening(url, exited, 120_000);
    return { url, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Until FastAPI answers its schema route; fails if the peer exits or the time runs out. */
async function waitListening(url: string, exited: Promise<void>, timeoutMs: number): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (gone) throw new Error('the peer exited before it listened (its log is above)');
    try {
      if ((await fetch(`${url}/openapi.json`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the peer did not listen on ${url} within ${timeoutMs} ms`);
}
