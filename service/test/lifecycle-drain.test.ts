import { startServiceProcess, waitReady, type ServiceProcess } from '../../test/support/service-process';
import { postJson, startTestService, tempRepository } from './http-support';

/** The `slow` fixture: tens of ms per row, max_batch_size 4, max_queue_size 16. */
const slowBody = (timeoutUs?: number) => ({
  ...(timeoutUs && { parameters: { timeout: timeoutUs } }),
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 512], data: new Array(512).fill(0.01) }],
});

let repo: ReturnType<typeof tempRepository>;
beforeAll(() => {
  repo = tempRepository(['fixture:slow']);
});
const running = new Set<ServiceProcess>();
const spawnService = async (env: Record<string, string>) => {
  const svc = await startServiceProcess(env);
  running.add(svc);
  return svc;
};
afterAll(async () => {
  await Promise.all([...running].map((svc) => svc.stop('SIGKILL')));
  repo.remove();
});

describe('overload and deadlines (service in its own process)', () => {
  it('sheds with 503 + Retry-After past max_queue_size, answers 504 when a deadline passes queued', async () => {
    const svc = await spawnService({ MODEL_REPOSITORY: repo.dir });
    try {
      await waitReady(svc);
      const url = `${svc.url}/v2/models/slow/infer`;
      const flood = await Promise.all(Array.from({ length: 48 }, () => postJson(url, slowBody())));
      const shed = flood.filter((r) => r.status === 503);
      expect(shed.length).toBeGreaterThan(0);
      expect(shed[0].headers.get('retry-after')).toMatch(/^\d+$/);
      expect(shed[0].json.error).toMatch(/queue/);
      expect(flood.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(16);
      expect(flood.every((r) => r.status === 200 || r.status === 503)).toBe(true);

      const busy = Array.from({ length: 12 }, () => postJson(url, slowBody()));
      const late = await postJson(url, slowBody(1000));
      await Promise.all(busy);
      expect(late.status).toBe(504);
      expect(late.json.error).toEqual(expect.any(String));
    } finally {
      await svc.stop('SIGKILL');
    }
  }, 90_000);
});

describe('SIGTERM', () => {
  it('answers every in-flight and queued request, refuses new connections, exits 0', async () => {
    const svc = await spawnService({ MODEL_REPOSITORY: repo.dir, SHUTDOWN_TIMEOUT_MS: '20000' });
    try {
      await waitReady(svc);
      const url = `${svc.url}/v2/models/slow/infer`;
      const inFlight = Array.from({ length: 12 }, () => postJson(url, slowBody()));
      let allAnswered = false;
      const answered = Promise.all(inFlight).then((r) => {
        allAnswered = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 150));
      svc.child.kill('SIGTERM');

      // Once the handler has run, a new connection is refused.
      let refused = false;
      const until = Date.now() + 10_000;
      while (!refused && Date.now() < until) {
        refused = await fetch(`${svc.url}/v2/health/live`, { headers: { connection: 'close' } }).then(
          () => false,
          (e: Error & { cause?: { code?: string } }) => e.cause?.code === 'ECONNREFUSED',
        );
        if (!refused) await new Promise((r) => setTimeout(r, 20));
      }
      const responses = await answered;
      const code = await svc.exited;
      expect(refused).toBe(true);
      expect(allAnswered).toBe(true);
      expect(responses.map((r) => r.status)).toEqual(new Array(12).fill(200));
      expect(code).toBe(0);
      const drained = svc.lines.find((l) => l.includes('"msg":"stopped"'));
      expect(drained && JSON.parse(drained).clean).toBe(true);
    } finally {
      await svc.stop('SIGKILL');
    }
  }, 90_000);

  it('turns readiness off the moment the drain starts', async () => {
    const svc = await startTestService({ MODEL_REPOSITORY: repo.dir });
    await svc.loaded;
    expect(svc.http.isReady()).toBe(true);
    const stopped = svc.stop(10_000);
    expect(svc.http.isReady()).toBe(false);
    expect(await stopped).toBe(true);
  }, 60_000);
});
