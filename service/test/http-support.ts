import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config/env';
import { startService, type RunningService } from '../src/service';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const BUNDLED_MODELS = path.join(REPO_ROOT, 'models');
export const FIXTURE_MODELS = path.join(REPO_ROOT, 'test', 'fixtures', 'models');

/** A throw-away model repository holding copies of bundled or fixture models (small ones). */
export function tempRepository(models: string[]): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'http-models-'));
  for (const m of models) {
    const bundled = path.join(BUNDLED_MODELS, m);
    const source = m.startsWith('fixture:') ? path.join(FIXTURE_MODELS, m.slice(8)) : bundled;
    cpSync(source, path.join(dir, path.basename(source)), { recursive: true });
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestService extends RunningService {
  url: string;
}

/** The real service, in process, on an ephemeral loopback port, with the real engine. */
export async function startTestService(env: Record<string, string> = {}): Promise<TestService> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', MODEL_REPOSITORY: BUNDLED_MODELS, ...env });
  const service = await startService(config, { logger: pino({ level: 'silent' }) });
  return { ...service, url: `http://127.0.0.1:${service.address.port}` };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as Record<string, unknown> };
}

/** One breast-cancer request of `rows` rows (values from the held-out split's range). */
export function breastCancerRequest(rows = 1, extra: Record<string, unknown> = {}) {
  const data = Array.from({ length: rows * 30 }, (_, i) => ((i % 30) + 1) * 0.5);
  return { inputs: [{ name: 'input', shape: [rows, 30], datatype: 'FP32', data }], ...extra };
}

export interface SpawnedService {
  child: ChildProcess;
  url: string;
  /** Every stdout line so far (JSON log lines). */
  lines: string[];
  exited: Promise<number | null>;
}

export const MAIN = path.join(REPO_ROOT, 'service', 'src', 'main.ts');

const spawned = new Set<ChildProcess>();

/** SIGKILLs every spawned service still running: for afterAll, so a failed test leaks nothing. */
export function killSpawned(): void {
  for (const child of spawned)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  spawned.clear();
}

/**
 * The service as its own process (`node -r tsx/cjs service/src/main.ts`), on an ephemeral port read
 * from its "listening" log line. onnxruntime runs on the service's event loop, so load has to come
 * from another process to reach the server the way real clients do.
 */
export function spawnService(env: Record<string, string>): Promise<SpawnedService> {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', MAIN], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (line.includes('"msg":"listening"')) {
          const port = JSON.parse(line).port as number;
          resolve({ child, url: `http://127.0.0.1:${port}`, lines, exited });
        }
      }
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    void exited.then((code) => reject(new Error(`service exited with ${code} before listening: ${stderr}`)));
  });
}

/** Polls GET /v2/health/ready until 200, for at most `timeoutMs`. */
export async function waitReady(url: string, timeoutMs = 30_000, log: string[] = []): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await fetch(`${url}/v2/health/ready`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms; last log lines:\n${log.slice(-5).join('\n')}`);
}
