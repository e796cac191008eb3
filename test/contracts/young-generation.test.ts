/**
 * The heap flags the pod puts on the image's command really size the service's young
 * generation. V8 takes them only when the heap is made, so this runs the service as its own process
 * with the pod's flags and reads the new space off its /metrics (prom-client's heap-space gauges).
 */
import { SERVICE_IMAGE_COMMAND } from '@ml-platform/contract/names';
import { serviceArgs } from '@ml-platform/infra/pod';
import { BUNDLED_MODELS, makeModelRepo } from '../support/model-repo';
import { REPO_ROOT, startServiceProcess, waitReady } from '../support/service-process';

const MiB = 2 ** 20;

async function newSpaceMiB(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^nodejs_heap_space_size_total_bytes\{space="new"\} (\S+)$/m.exec(text);
  if (!m) throw new Error('no new-space gauge on /metrics');
  return Number(m[1]) / MiB;
}

/** Polls until `done` holds for the value `read` gives, at most `timeoutMs`; returns that value. */
async function waitFor(read: () => Promise<number>, done: (v: number) => boolean, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * What the pod's flags do for one memory limit: the new space after start-up, and after V8's memory
 * reducer has acted on the idle process (20 to 30 s here), which uncommits one semi-space of a fixed
 * new space and shrinks a free one to its smallest.
 */
async function newSpaceThroughIdle(memory: string): Promise<{ started: number; idle: number }> {
  const podFlags = serviceArgs(memory).filter(
    (a) => !(SERVICE_IMAGE_COMMAND as readonly string[]).includes(a),
  );
  const svc = await startServiceProcess({ MODEL_REPOSITORY: repo.path }, 60_000, [
    ...podFlags,
    '-r',
    'tsx/cjs',
    `${REPO_ROOT}/service/src/main.ts`,
  ]);
  try {
    await waitReady(svc, 60_000);
    // Start-up scavenges, which commits the second semi-space.
    const started = await newSpaceMiB(svc.url);
    const idle = await waitFor(
      () => newSpaceMiB(svc.url),
      (v) => v < started,
      90_000,
    );
    return { started, idle };
  } finally {
    await svc.stop();
  }
}

const repo = makeModelRepo([{ name: 'breast-cancer', from: `${BUNDLED_MODELS}/breast-cancer` }]);
afterAll(() => repo.cleanup());

describe('the young generation the pod gives the service by its memory limit', () => {
  // Sizes V8 would not pick here by itself: it grows to 16 MB on this host, and shrinks when idle.
  it('holds the semi-spaces at the size the limit allows, idle or not', async () => {
    const [m512, m256] = await Promise.all([newSpaceThroughIdle('512Mi'), newSpaceThroughIdle('256Mi')]);
    expect(m512).toEqual({ started: 2 * 8, idle: 8 });
    expect(m256).toEqual({ started: 2 * 4, idle: 4 });
  }, 150_000);
});
