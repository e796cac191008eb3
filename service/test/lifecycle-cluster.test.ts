import { startServiceProcess, waitReady, type ServiceProcess } from '../../test/support/service-process';
import { OipClient } from './grpc-support';
import { breastCancerRequest, postJson, tempRepository } from './http-support';

/** WORKERS=2: node:cluster workers behind one port, supervised by a primary. */
let repo: ReturnType<typeof tempRepository>;
let svc: ServiceProcess;
beforeAll(async () => {
  repo = tempRepository(['breast-cancer-lite']);
  svc = await startServiceProcess({ MODEL_REPOSITORY: repo.dir, WORKERS: '2', GRPC_PORT: 'ephemeral' });
  await waitReady(svc, 60_000);
  // Readiness is per worker and connections go round-robin: wait until fresh connections keep
  // finding a ready worker.
  for (let ok = 0, tries = 0; ok < 8 && tries < 400; tries++) {
    const res = await fetch(`${svc.url}/v2/health/ready`, { headers: { connection: 'close' } });
    ok = res.status === 200 ? ok + 1 : 0;
    if (ok === 0) await new Promise((r) => setTimeout(r, 50));
  }
}, 90_000);
afterAll(async () => {
  await svc?.stop('SIGKILL');
  repo.remove();
});

const infer = () => postJson(`${svc.url}/v2/models/breast-cancer-lite/infer`, breastCancerRequest());
const burst = (n: number) => Promise.all(Array.from({ length: n }, infer));

describe('WORKERS=2', () => {
  it('serves from both workers and /metrics counts every worker', async () => {
    const answers = await burst(40);
    expect(
      answers.map((r) => `${r.status} ${r.text.slice(0, 120)}`).filter((s) => !s.startsWith('200')),
    ).toEqual([]);
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    const count =
      /inference_requests_total\{model="breast-cancer-lite",version="1",status="200",protocol="rest"\} (\d+)/.exec(
        text,
      );
    expect(Number(count?.[1])).toBe(40);
  });

  it('answers the console status from every worker aggregated, like /metrics', async () => {
    const count = async () => {
      const text = await (await fetch(`${svc.url}/metrics`)).text();
      return Number(
        /inference_requests_total\{model="breast-cancer-lite",version="1",status="200",protocol="rest"\} (\d+)/.exec(
          text,
        )?.[1] ?? 0,
      );
    };
    type Status = {
      health: { workers: number };
      models: { versions: { recent: { requests: number } | null }[] }[];
    };
    const status = async () => (await (await fetch(`${svc.url}/v2/console/status`)).json()) as Status;
    // Start sampling on whichever worker answers, and let a sample from before the burst be taken.
    for (let i = 0; i < 4; i++) await status();
    await new Promise((r) => setTimeout(r, 1500));
    const before = await count();
    expect((await burst(40)).every((r) => r.status === 200)).toBe(true);
    const increase = (await count()) - before;
    expect(increase).toBe(40);
    let last: Status | undefined;
    for (let tries = 0; tries < 40; tries++) {
      last = await status();
      if (last.models[0].versions[0].recent?.requests === increase) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(last?.health.workers).toBe(2);
    expect(last?.models[0].versions[0].recent?.requests).toBe(increase);
  }, 30_000);

  it('unloads and loads a model on every worker, whichever one got the request', async () => {
    expect((await postJson(`${svc.url}/v2/repository/models/breast-cancer-lite/unload`, {})).status).toBe(
      200,
    );
    const down = await burst(10);
    expect(down.every((r) => r.status >= 400)).toBe(true);
    expect((await postJson(`${svc.url}/v2/repository/models/breast-cancer-lite/load`, {})).status).toBe(200);
    const up = await burst(10);
    expect(up.map((r) => r.status)).toEqual(new Array(10).fill(200));
  });

  it('serves gRPC on the shared port: each new channel lands on a worker, /metrics counts them all', async () => {
    // GRPC_PORT=ephemeral: node:cluster gives every worker's second listen(0) the same port.
    const grpcPorts = svc.lines
      .filter((l) => l.includes('"msg":"listening"'))
      .map((l) => (JSON.parse(l) as { grpcPort: number }).grpcPort);
    expect(grpcPorts).toEqual([svc.grpcPort, svc.grpcPort]);
    const codes = [];
    for (let i = 0; i < 6; i++) {
      // A channel is one HTTP/2 connection, which the primary hands to one worker.
      const client = new OipClient(`127.0.0.1:${svc.grpcPort}`);
      const { error } = await client.call('ModelInfer', {
        model_name: 'breast-cancer-lite',
        inputs: [
          {
            name: 'input',
            datatype: 'FP32',
            shape: [1, 30],
            contents: { fp32_contents: breastCancerRequest().inputs[0].data },
          },
        ],
      });
      codes.push(error?.code ?? 0);
      client.close();
    }
    expect(codes).toEqual(new Array(6).fill(0));
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    expect(text).toMatch(
      /inference_requests_total\{model="breast-cancer-lite",version="1",status="200",protocol="grpc"\} 6/,
    );
  });

  it('drains every worker on SIGTERM and exits 0', async () => {
    expect(await svc.stop('SIGTERM')).toBe(0);
  }, 30_000);
});
