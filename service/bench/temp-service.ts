import { loadavg } from 'node:os';
import { makeModelRepo, type RepoModel } from '../../test/support/model-repo';
import { startServiceProcess, waitReady, type ServiceProcess } from '../../test/support/service-process';

/**
 * Starts the service on a throw-away repository of `models` and calls `fn` once it is ready, with
 * the seconds from spawn to ready; then stops it and removes the repository. `nodeArgs` runs another
 * entry point (see startServiceProcess).
 */
export async function withTempService<T>(
  models: RepoModel[],
  fn: (svc: ServiceProcess, readySeconds: number) => Promise<T>,
  nodeArgs?: readonly string[],
): Promise<T> {
  const repo = makeModelRepo(models);
  const started = performance.now();
  const svc = await startServiceProcess({ MODEL_REPOSITORY: repo.path }, 120_000, nodeArgs);
  try {
    await waitReady(svc, 300_000);
    return await fn(svc, (performance.now() - started) / 1000);
  } finally {
    await svc.stop();
    repo.cleanup();
  }
}

/** The 1, 5 and 15 minute load averages, for the record of a run on a shared machine. */
export const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
