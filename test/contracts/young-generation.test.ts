import { SERVICE_IMAGE_COMMAND } from '@ml-platform/contract/names';
import { inferencePodTemplate, type InferencePodOptions } from '@ml-platform/infra/pod';
import { BUNDLED_MODELS, makeModelRepo } from '../support/model-repo';
import { REPO_ROOT, startServiceProcess, waitReady } from '../support/service-process';

/**
 * The heap flags the pod template puts on the image's command really size the service's young
 * generation. V8 takes them only when the heap is made, so this runs the service as its own process
 * with the pod's flags and reads the new space off its /metrics (prom-client's heap-space gauges).
 */
const pod: InferencePodOptions = {
  labels: { app: 'inference' },
  image: 'img:1',
  port: 8080,
  grpcPort: 0,
  serviceAccountName: 'inference',
  rateLimit: { requestsPerSecond: 100, burst: 200 },
  requestTimeoutMs: 1000,
  podCostPerHourUsd: 0,
  resources: { cpu: '1', memory: '8Gi' },
  gpu: false,
};

const MiB = 2 ** 20;

async function newSpaceMiB(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^nodejs_heap_space_size_total_bytes\{space="new"\} (\S+)$/m.exec(text);
  if (!m) throw new Error('no new-space gauge on /metrics');
  return Number(m[1]) / MiB;
}

describe('the young generation the pod gives the service by its memory limit', () => {
  const repo = makeModelRepo([{ name: 'breast-cancer', from: `${BUNDLED_MODELS}/breast-cancer` }]);
  afterAll(() => repo.cleanup());

  // 8Gi: 64 MB semi-spaces, four times what V8 grows them to by itself; 512Mi: 8 MB.
  it.each([
    ['8Gi', 64],
    ['512Mi', 8],
  ])(
    '%s: the new space holds two %i MB semi-spaces and keeps them when idle',
    async (memory, semiMiB) => {
      const args = inferencePodTemplate({ ...pod, resources: { cpu: '1', memory } }).spec!.containers[0]
        .args!;
      const podFlags = args.filter((a) => !(SERVICE_IMAGE_COMMAND as readonly string[]).includes(a));
      expect(podFlags).toHaveLength(2);
      const svc = await startServiceProcess({ MODEL_REPOSITORY: repo.path }, 60_000, [
        ...podFlags,
        '-r',
        'tsx/cjs',
        `${REPO_ROOT}/service/src/main.ts`,
      ]);
      try {
        await waitReady(svc, 60_000);
        // Start-up scavenges, which commits the second semi-space.
        expect(await newSpaceMiB(svc.url)).toBe(2 * semiMiB);
        // Left to itself V8 shrinks the new space of an idle process; at a fixed size it stays.
        await new Promise((r) => setTimeout(r, 2000));
        expect(await newSpaceMiB(svc.url)).toBe(2 * semiMiB);
      } finally {
        await svc.stop();
      }
    },
    90_000,
  );
});
