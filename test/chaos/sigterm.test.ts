import { join } from 'node:path';
import { FIXTURE_MODELS, makeModelRepo } from '../support/model-repo';
import { startServiceProcess, waitReady } from '../support/service-process';
import { runLoad, type LoadResult } from '../support/load';

/**
 * SIGTERM in the middle of a load run on a slow model, so that requests are queued and running
 * when it lands. Every request the server accepted (it logged its request id) is answered 200;
 * the only client-side failures are connections the draining server refused or closed before
 * reading a request — and the server never saw those ids. The process exits 0.
 */
const slowBody = JSON.stringify({
  inputs: [{ name: 'input', shape: [1, 512], datatype: 'FP32', data: new Array(512).fill(0.02) }],
});

it('answers every accepted request and exits 0 on SIGTERM under load', async () => {
  const repo = makeModelRepo([{ name: 'slow', from: join(FIXTURE_MODELS, 'slow') }]);
  const svc = await startServiceProcess({
    MODEL_REPOSITORY: repo.path,
    LOG_LEVEL: 'debug',
    SHUTDOWN_TIMEOUT_MS: '15000',
  });
  try {
    await waitReady(svc, 60_000);
    let exit: Promise<number | null> | undefined;
    const results = await runLoad({
      url: `${svc.url}/v2/models/slow/infer`,
      count: 120,
      concurrency: 8,
      request: () => ({ body: slowBody }),
      onResult: (_r: LoadResult, done: number) => {
        if (done === 16) exit = svc.stop('SIGTERM');
      },
    });
    expect(await exit).toBe(0);

    const logged = new Set(
      svc.lines
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { requestId?: string })
        .map((l) => l.requestId)
        .filter((id): id is string => typeof id === 'string'),
    );
    const answered = results.filter((r) => r.status !== undefined);
    const failed = results.filter((r) => r.error !== undefined);
    console.log(
      `SIGTERM under load: ${answered.length} answered (${answered.filter((r) => r.status === 200).length} x 200), ` +
        `${failed.length} refused/closed before being read: ${[...new Set(failed.map((r) => r.error))].join('; ')}`,
    );
    expect(answered.length).toBeGreaterThan(16);
    expect(answered.every((r) => r.status === 200 && r.echoedId === r.requestId)).toBe(true);
    // Every request the server accepted got its answer...
    for (const id of logged) expect(answered.some((r) => r.requestId === id)).toBe(true);
    // ...and every client-side failure is one the server never accepted.
    for (const r of failed) expect(logged.has(r.requestId)).toBe(false);
  } finally {
    await svc.stop('SIGKILL');
    repo.cleanup();
  }
}, 120_000);
