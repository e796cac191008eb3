import { startServiceProcess, waitReady } from '../../test/support/service-process';
(async () => {
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const svc = await startServiceProcess({});
    await waitReady(svc, 60_000);
    console.log('ready', ((performance.now() - t) / 1000).toFixed(2));
    await svc.stop();
  }
})();
