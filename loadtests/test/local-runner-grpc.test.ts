import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../src/local/cli';
import type { LoadTestReport } from '../src/report/report';
import { latencyOnlyMiss } from './helpers/latency-miss';
import { startServiceProcess, waitReady, type ServiceProcess } from '../../test/support/service-process';

/**
 * `npm run loadtest -- --protocol grpc`: the same SLA scenario, driven over gRPC at the real service,
 * as its own process (the runner must not share its event loop).
 */
describe('local runner over gRPC, against the service on 127.0.0.1', () => {
  let svc: ServiceProcess;
  let out: string;
  beforeAll(async () => {
    svc = await startServiceProcess({ GRPC_PORT: 'ephemeral' });
    await waitReady(svc, 60_000);
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'loadtest-grpc-'));
  }, 60_000);
  afterAll(async () => {
    await svc?.stop();
    fs.rmSync(out, { recursive: true, force: true });
  });

  /** One smoke run over gRPC, and the gRPC calls the service counted while it ran. */
  async function smoke(): Promise<{ code: number; report: LoadTestReport; served: number }> {
    const before = await grpcCallsServed();
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let code: number;
    try {
      code = await main([
        '--protocol',
        'grpc',
        '--scenario',
        'smoke',
        '--target',
        `http://127.0.0.1:${svc.grpcPort}`,
        '--stack',
        'local',
        '--model',
        'breast-cancer',
        '--duration',
        '3',
        '--out',
        out,
      ]);
    } finally {
      errors.mockRestore();
      stdout.mockRestore();
    }
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as LoadTestReport;
    return { code, report, served: (await grpcCallsServed()) - before };
  }

  /** Calls answered 200 at the gRPC door, from the service's metrics: they reached gRPC, not REST. */
  async function grpcCallsServed(): Promise<number> {
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    const grpcCalls =
      /inference_requests_total\{model="breast-cancer",version="\d",status="200",protocol="grpc"\} (\d+)/g;
    return [...text.matchAll(grpcCalls)].reduce((n, m) => n + Number(m[1]), 0);
  }

  it('passes a smoke run and reports it in the same metrics as REST', async () => {
    let run = await smoke();
    // Every assertion below holds for the run that counts.
    if (run.code === 1 && latencyOnlyMiss(run.report)) run = await smoke();
    const { code, report, served } = run;
    expect(report.tool).toBe('grpc-js');
    expect(report.metrics.http_reqs.count).toBeGreaterThan(0);
    expect(report.metrics.http_req_failed.rate).toBe(0);
    expect(report.metrics.checks.rate).toBe(1);
    expect(report.thresholds.filter((t) => !t.ok)).toEqual([]);
    expect(code).toBe(0);
    expect(served).toBe(report.metrics.http_reqs.count);
  }, 90_000);

  it('refuses an unknown protocol', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await main(['--protocol', 'udp', '--scenario', 'smoke', '--target', 'http://127.0.0.1:9'])).toBe(
        2,
      );
    } finally {
      errors.mockRestore();
    }
  });
});
