/**
 * For `npm run bench` only: the service as main.ts composes it, minus the production guards, so
 * the bench can show what the guards cost on the hot path. Prints `{"port": N}` once ready.
 *
 *   node -r tsx/cjs service/bench/service-without-guards.ts   (MODEL_REPOSITORY etc. from the env)
 */
import { loadConfig } from '../src/config/env';
import { createLogger } from '../src/observability/logger';
import { startService } from '../src/service';

async function main() {
  const config = loadConfig({ ...process.env, PORT: '0', GRPC_PORT: '0', HOST: '127.0.0.1' });
  const service = await startService(config, { logger: createLogger('warn') });
  await service.loaded;
  process.stdout.write(`${JSON.stringify({ port: service.address.port })}\n`);
  process.on('SIGTERM', () => void service.stop(5000).then(() => process.exit(0)));
}

void main();
