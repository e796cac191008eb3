import path from 'node:path';
import { startServiceProcess, waitReady, type ServiceProcess } from '../../test/support/service-process';

/**
 * The service of a checkout of this repository (this one or another, e.g. main before a change) as
 * its own process: WORKERS=1, the production guards, that checkout's models and source.
 */
export async function startCheckoutService(
  root: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<ServiceProcess> {
  const svc = await startServiceProcess(
    { WORKERS: '1', LOG_LEVEL: 'info', MODEL_REPOSITORY: path.join(root, 'models'), ...env },
    60_000,
    [...nodeArgs, '-r', 'tsx/cjs', path.join(root, 'service', 'src', 'main.ts')],
    // Its own directory, so that tsx and its tsconfig are that checkout's too.
    root,
  );
  await waitReady(svc, 60_000);
  return svc;
}
