/**
 * Process entry. `npm start` runs `node -r tsx/cjs src/main.ts`: no build step, and signals reach
 * this process directly (the tsx CLI would add a parent process). Cold-start numbers are in
 * docs/benchmarks.md. Validates the environment (exit 2 on a bad value), serves, and drains on
 * SIGTERM/SIGINT (exit 0 when every accepted request was answered in time).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import cluster from 'node:cluster';
import { runPrimary } from './cluster/primary';
import { ConfigError, loadConfig, type ServiceConfig } from './config/env';
import { ListenError } from './config/listen-error';
import { createLogger } from './observability/logger';
import { AuthConfigError } from './guards/auth';
import { createProductionGuards } from './guards';
import { startService } from './service';

function loadConfigOrExit(): ServiceConfig {
  try {
    return loadConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
}

/** A curl for the first held-out breast-cancer row, when that model is bundled. */
function exampleCurl(config: ServiceConfig, port: number): string | undefined {
  try {
    const split = JSON.parse(
      readFileSync(join(config.MODEL_REPOSITORY, 'breast-cancer/testdata/test.json'), 'utf8'),
    );
    const row: number[] = split.inputs[0];
    const body = JSON.stringify({
      inputs: [{ name: 'input', shape: [1, row.length], datatype: 'FP32', data: row }],
    });
    const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
    return `curl -s -X POST http://${host}:${port}/v2/models/breast-cancer/infer -H 'content-type: application/json' -d '${body}'`;
  } catch {
    return undefined;
  }
}

async function main() {
  const config = loadConfigOrExit();
  if (config.WORKERS > 1 && cluster.isPrimary) {
    runPrimary(config.WORKERS, createLogger(config.LOG_LEVEL).child({ role: 'primary' }));
    return;
  }
  const service = await startService(config, {
    guards: createProductionGuards,
    clusterWorker: cluster.isWorker,
  });
  const { logger, address } = service;
  const first = !cluster.isWorker || cluster.worker?.id === 1;
  if (first && !config.API_KEYS && !config.API_KEYS_FILE) {
    logger.warn('auth is off: neither API_KEYS nor API_KEYS_FILE is set');
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    const clean = await service.stop();
    logger.info({ clean }, 'stopped');
    process.exit(clean ? 0 : 1);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  logger.info(
    {
      host: address.address,
      port: address.port,
      grpcPort: service.grpcPort,
      repository: config.MODEL_REPOSITORY,
    },
    'listening',
  );
  await service.loaded;
  const failed = service.engine.index().filter((e) => e.state === 'UNAVAILABLE');
  if (failed.length > 0) logger.error({ failed }, 'some models failed to load');
  logger.info(
    { readyMs: Math.round(process.uptime() * 1000), ready: service.engine.isReady() },
    'models loaded',
  );
  if (!first) return;
  // For people, not log shippers: plain text on stderr, so stdout stays JSON lines.
  const problems = service.engine.notReadyReasons();
  if (problems.length > 0) {
    process.stderr.write(`\nNot ready:\n  ${problems.join('\n  ')}\n\n`);
    return;
  }
  const curl = exampleCurl(config, address.port);
  if (curl) process.stderr.write(`\nReady. Try:\n\n${curl}\n\n`);
}

main().catch((e) => {
  if (e instanceof AuthConfigError) {
    process.stderr.write(`invalid configuration:\n  ${e.message}\n`);
    process.exit(2);
  }
  if (e instanceof ListenError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`fatal: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
