/**
 * Preloaded into a service process by `classifier-allocations.ts` (`-r tsx/cjs -r heap-sampler.ts`):
 * V8's sampling heap profiler through `node:inspector`, keeping the samples of objects that the
 * minor and major GCs already collected too, so that short-lived per-request garbage is counted and
 * not only what survives. The first SIGUSR2 starts sampling; the second stops it and writes the
 * profile (Chrome DevTools' `.heapprofile` format) to `HEAP_SAMPLER_FILE`.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const FILE = process.env.HEAP_SAMPLER_FILE;
const INTERVAL = Number(process.env.HEAP_SAMPLER_INTERVAL ?? '256');

if (FILE) {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.enable');
  let sampling = false;
  process.on('SIGUSR2', () => {
    if (!sampling) {
      sampling = true;
      session.post('HeapProfiler.startSampling', {
        samplingInterval: INTERVAL,
        includeObjectsCollectedByMinorGC: true,
        includeObjectsCollectedByMajorGC: true,
      });
      return;
    }
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (err) throw err;
      writeFileSync(FILE, JSON.stringify(result.profile));
    });
  });
}
