/**
 * A peer (peer-kinds.ts) as a process group on loopback: its pinned venv is made by the same code
 * as the model optimiser's (models/optimize/python.ts), then its server runs until `stop()`, which
 * ends the whole group, as this process's exit does, so that no peer outlives a failed bench.
 * `pause()` stops the group (SIGSTOP) while other servers are timed: an idle LitServe polls its
 * queues with about 30% of a core, which would be taken from whoever is being measured. The peer's
 * own output goes to a log file (LitServe logs a traceback for every connection the load generator
 * drops at the end of a run), whose tail is shown if the peer does not start.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureVenv } from '../../models/optimize/python';
import { REPO_ROOT } from '../../test/support/service-process';
import { PEER_KINDS, servedModel, type PeerName } from './peer-kinds';

export interface PeerOptions {
  /** A model repository (`<name>/<version>/model.onnx` beside `<name>/config.json`). */
  models: string;
  /** `name/version` pairs the peer serves. */
  serve: string[];
  log(line: string): void;
  /** How long the server may take to load its models once started. */
  timeoutMs?: number;
}

export interface Peer {
  name: PeerName;
  url: string;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function startPeer(name: PeerName, options: PeerOptions): Promise<Peer> {
  const kind = PEER_KINDS[name];
  const python = await ensureVenv(
    { python: process.env.BENCH_PYTHON || 'python3', venv: path.join(REPO_ROOT, kind.venv) },
    options.log,
    {
      requirements: kind.requirements,
      need: `the peers bench runs the ${kind.what} and needs Python 3`,
      otherwise: `or set BENCH_PYTHON, or leave ${name} out of --peers`,
    },
  );
  const launch = await kind.launch(
    options.models,
    options.serve.map((entry) => servedModel(options.models, entry)),
  );
  const logFile = path.join(tmpdir(), `bench-peer-${name}-${process.pid}.log`);
  options.log(`its log: ${logFile}`);
  const logFd = openSync(logFile, 'w');
  const child = spawn(python, launch.args, {
    env: { ...process.env, ...launch.env },
    stdio: ['ignore', logFd, logFd],
    // Its own process group, so that signals reach every worker it forks or spawns.
    detached: true,
  });
  closeSync(logFd);
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  const onExit = () => {
    signalGroup('SIGKILL');
    launch.cleanup?.();
  };
  process.once('exit', onExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    process.off('exit', onExit);
    // The leader stops its own workers; a signal to each of them too makes MLServer stop twice.
    child.kill('SIGTERM');
    // A paused group handles SIGTERM only once it runs again.
    signalGroup('SIGCONT');
    const timer = setTimeout(() => signalGroup('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    // The leader can exit before its workers: whatever is left of the group goes too.
    signalGroup('SIGKILL');
    launch.cleanup?.();
  };
  const url = `http://127.0.0.1:${launch.port}`;
  try {
    await waitReady(name, url, launch.ready, exited, options.timeoutMs ?? 180_000);
    return {
      name,
      url,
      pause: () => signalGroup('SIGSTOP'),
      resume: () => signalGroup('SIGCONT'),
      stop,
    };
  } catch (e) {
    await stop();
    const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
    throw new Error(`${(e as Error).message}; the end of its log (${logFile}):\n${tail}`);
  }
}

/** Until every ready path answers 200; fails if the peer exits or the time runs out. */
async function waitReady(
  name: PeerName,
  url: string,
  paths: string[],
  exited: Promise<void>,
  timeoutMs: number,
): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const until = Date.now() + timeoutMs;
  const ok = async (p: string) => {
    try {
      return (await fetch(url + p)).ok;
    } catch {
      return false; // Not listening yet.
    }
  };
  while (Date.now() < until) {
    if (gone) throw new Error(`the ${name} peer exited before it was ready`);
    if ((await Promise.all(paths.map(ok))).every(Boolean)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the ${name} peer was not ready on ${url} within ${timeoutMs} ms`);
}
