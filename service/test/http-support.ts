import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config/env';
import { startService, type RunningService, type ServiceOptions } from '../src/service';
import type { RepoModel } from '../../test/support/model-repo';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const BUNDLED_MODELS = path.join(REPO_ROOT, 'models');
export const FIXTURE_MODELS = path.join(REPO_ROOT, 'test', 'fixtures', 'models');

/** The bundled breast-cancer's v1 against its v2 as `name`, sticky by x-experiment-key, half and half, uncached. */
export const abBreastCancer = (name: string): RepoModel => ({
  name,
  from: path.join(BUNDLED_MODELS, 'breast-cancer'),
  versions: ['1', '2'],
  config: {
    cache: { enabled: false, ttl_seconds: 60 },
    drift: undefined,
    traffic: {
      ab: {
        key_header: 'x-experiment-key',
        variants: [
          { name: 'control', version: '1', weight_pct: 50 },
          { name: 'treatment', version: '2', weight_pct: 50 },
        ],
      },
    },
  },
});

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

/** Rewrites a copied model's config.json with `patch` merged in. */
export function patchConfig(dir: string, model: string, patch: Record<string, unknown>): void {
  const file = path.join(dir, model, 'config.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ...patch }));
}

export interface TestService extends RunningService {
  url: string;
}

/** The real service, in process, on an ephemeral loopback port, with the real engine. */
export async function startTestService(
  env: Record<string, string> = {},
  options: Omit<ServiceOptions, 'logger'> = {},
): Promise<TestService> {
  const config = loadConfig({
    PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    MODEL_REPOSITORY: BUNDLED_MODELS,
    ...env,
  });
  const service = await startService(config, { ...options, logger: pino({ level: 'silent' }) });
  return { ...service, url: `http://127.0.0.1:${service.address.port}` };
}

/**
 * For the enclosing describe: the service on a copy of one model whose config has `patch` merged
 * in. Read `svc` and `dir` inside tests.
 */
export function patchedModelService(
  model: string,
  patch: Record<string, unknown>,
  env: () => Promise<Record<string, string>> = async () => ({}),
): { readonly svc: TestService; readonly dir: string } {
  const state = {} as { svc: TestService; dir: string };
  let repo: ReturnType<typeof tempRepository> | undefined;
  beforeAll(async () => {
    repo = tempRepository([model]);
    patchConfig(repo.dir, model, patch);
    state.dir = repo.dir;
    state.svc = await startTestService({ ...(await env()), MODEL_REPOSITORY: repo.dir });
    await state.svc.loaded;
  });
  afterAll(async () => {
    await state.svc?.stop(5000);
    repo?.remove();
  });
  return state;
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

export const MAIN = path.join(REPO_ROOT, 'service', 'src', 'main.ts');
