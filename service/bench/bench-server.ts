import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../test/support/service-process';

export interface BenchServer {
  url: string;
  /** For reading its CPU (process-cpu.ts). */
  pid: number;
  stop(): void;
}

/**
 * Starts a bench server script of this folder (one that prints `{"port": N}` once listening, such
 * as ceiling-server.ts) as its own process on loopback.
 */
export async function startBenchServer(script: string, args: string[] = []): Promise<BenchServer> {
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
  } catch (e) {
    stop();
    throw e;
  }
}
