import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SERVICE_MAIN = path.join(REPO_ROOT, 'service', 'src', 'main.ts');

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** The gRPC port from the same line: set when GRPC_PORT is not 0 (`ephemeral` picks a free one). */
  grpcPort?: number;
  /** Every JSON log line so far, stdout and stderr. */
  lines: string[];
  exited: Promise<number | null>;
  /** Sends `signal` and resolves with the exit code; SIGKILLs after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/**
 * The real service as its own process (`node -r tsx/cjs service/src/main.ts`, or the node arguments
 * given, such as a compiled main.js) on an ephemeral loopback port read from its "listening" log
 * line, as is the gRPC port with GRPC_PORT=ephemeral: a port picked here and handed over could be
 * taken by another process before the child binds it. Fault tests need real processes: a SIGTERM, two replicas sharing one Redis, load that does
 * not share the server's event loop.
 */
export function startServiceProcess(
  env: Record<string, string>,
  startTimeoutMs = 30_000,
  nodeArgs: readonly string[] = ['-r', 'tsx/cjs', SERVICE_MAIN],
  cwd = REPO_ROOT,
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, nodeArgs, {
    cwd,
    env: { ...process.env, PORT: '0', GRPC_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stopping = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      // A replica that dies under a test shows up as refused or cut connections; say why here.
      if (!stopping && code !== 0)
        console.error(
          `service process ${child.pid} exited unexpectedly (${signal ?? `code ${code}`}); ` +
            `its last lines:\n${lines.slice(-20).join('\n')}`,
        );
      resolve(code);
    }),
  );
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000) => {
    if (child.exitCode !== null) return child.exitCode;
    stopping = true;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop('SIGKILL');
      reject(
        new Error(`service did not listen within ${startTimeoutMs} ms:\n${lines.slice(-20).join('\n')}`),
      );
    }, startTimeoutMs);
    const collect = (stream: NodeJS.ReadableStream) => {
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const parts = buffered.split('\n');
        buffered = parts.pop()!;
        for (const line of parts) {
          lines.push(line);
          if (line.includes('"msg":"listening"')) {
            clearTimeout(timer);
            const { port, grpcPort } = JSON.parse(line) as { port: number; grpcPort?: number };
            resolve({ child, url: `http://127.0.0.1:${port}`, port, grpcPort, lines, exited, stop });
          }
        }
      });
    };
    collect(child.stdout!);
    collect(child.stderr!);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before listening:\n${lines.slice(-20).join('\n')}`));
    });
  });
}

/** Polls GET /v2/health/ready until 200; on timeout the error carries the service's last log lines. */
export async function waitReady(target: string | ServiceProcess, timeoutMs = 30_000): Promise<void> {
  const url = typeof target === 'string' ? target : target.url;
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await fetch(`${url}/v2/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  const logs = typeof target === 'string' ? '' : `:\n${target.lines.slice(-15).join('\n')}`;
  throw new Error(`${url} not ready after ${timeoutMs} ms${logs}`);
}

/** Two replicas of the service on one environment (typically one shared Redis), both ready. */
export async function startReplicaPair(
  env: Record<string, string>,
): Promise<[ServiceProcess, ServiceProcess]> {
  const pair = await Promise.all([startServiceProcess(env), startServiceProcess(env)]);
  await Promise.all(pair.map((p) => waitReady(p, 60_000)));
  return pair;
}
