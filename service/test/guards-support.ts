import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../src/config/env';
import { createProductionGuards } from '../src/guards';
import { createLogger } from '../src/observability/logger';
import { startService } from '../src/service';
import { FIXTURE_MODELS, makeModelRepo } from '../../test/support/model-repo';

export const INFER_KEY = 'infer-key-0123456789';
export const ADMIN_KEY = 'admin-key-9876543210';
export const TINY_KEY = 'tiny-key-abcdef';
const sha = (k: string) => createHash('sha256').update(k).digest('hex');

/**
 * What the guard tests of both doors run against: `cached` (the flaky fixture with a cache and a
 * fallback to `flaky-fallback`) and an API keys file with an infer key, an admin key and a key
 * with its own tiny rate limit (3 burst, 1/s).
 */
export function guardedRepository(): { repo: ReturnType<typeof makeModelRepo>; keysFile: string } {
  const repo = makeModelRepo([
    {
      name: 'cached',
      from: join(FIXTURE_MODELS, 'flaky'),
      config: { cache: { enabled: true, ttl_seconds: 60 }, fallback: { model: 'flaky-fallback' } },
    },
    { name: 'flaky-fallback', from: join(FIXTURE_MODELS, 'flaky-fallback') },
  ]);
  const keysFile = join(mkdtempSync(join(tmpdir(), 'keys-')), 'keys.json');
  writeFileSync(
    keysFile,
    JSON.stringify([
      { name: 'client', sha256: sha(INFER_KEY), scopes: ['infer'] },
      { name: 'ops', sha256: sha(ADMIN_KEY), scopes: ['infer', 'admin'] },
      { name: 'tiny', sha256: sha(TINY_KEY), scopes: ['infer'], rateLimit: { rps: 1, burst: 3 } },
    ]),
  );
  return { repo, keysFile };
}

/**
 * An in-process service on `guardedRepository()` with the production guards and every log line
 * kept, for the guard tests of both doors; `env` adds to or overrides the base configuration.
 */
export async function startGuardedService(env: Record<string, string>) {
  const { repo, keysFile } = guardedRepository();
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(chunk.toString());
      cb();
    },
  });
  const config = loadConfig({
    PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    MODEL_REPOSITORY: repo.path,
    API_KEYS_FILE: keysFile,
    RATE_LIMIT_RPS: '1000',
    RATE_LIMIT_BURST: '1000',
    ...env,
  });
  const service = await startService(config, {
    logger: createLogger('debug', sink),
    guards: createProductionGuards,
  });
  await service.loaded;
  return { service, repo, logLines };
}
