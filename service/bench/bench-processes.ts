import { spawn } from 'node:child_process';
import path from 'node:path';
import {
  REPO_ROOT,
  startServiceProcess,
  waitReady,
  type ServiceProcess,
} from '../../test/support/service-process';

/** A bench server script of this folder running as its own process, on the loopback port it printed. */
export interface BenchScript {
  url: string;
  pid: number;
  stop(): void;
}

/** Spawns a bench server script that prints `{"port": N}` (ceiling-server.ts) and waits for the port. */
export async function startBenchScript(script: string, args: string[]): Promise<BenchScript> {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, script), ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = () => void child.kill('SIGTERM');
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()).port));
      child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    });
    return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop };
  } catch (err) {
    stop();
    throw err;
  }
}

/**
 * The service of a checkout of this repository (this one or another, e.g. main before a change) as
 * its own process: WORKERS=1, the production guards, that checkout's models and source.
 */
export async function startCheckoutService(
  root: string,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  const svc = await startServiceProcess(
    { WORKERS: '1', LOG_LEVEL: 'info', MODEL_REPOSITORY: path.join(root, 'models'), ...env },
    60_000,
    ['-r', 'tsx/cjs', path.join(root, 'service', 'src', 'main.ts')],
  );
  await waitReady(svc, 60_000);
  return svc;
}
