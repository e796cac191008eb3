import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../src/local/cli';
import type { LoadTestReport } from '../src/report/report';
import { freePort } from '../../test/support/redis-server';
import { startServiceProcess, waitReady, type ServiceProcess } from '../../test/support/service-process';

/**
 * `npm run loadtest -- --protocol grpc`: the same SLA scenario, driven over gRPC at the real service,
 * as its own process (the runner must not share its event loop).
 */
describe('local runner over gRPC, against the service on 127.0.0.1', () => {
  let svc: ServiceProcess;
  let grpcPort: number;
  let out: string;
  beforeAll(async () => {
    grpcPort = await freePort();
    svc = await startServiceProcess({ GRPC_PORT: String(grpcPort) });
    await waitReady(svc, 60_000);
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'loadtest-grpc-'));
  }, 60_000);
  afterAll(async () => {
    await svc?.stop();
    fs.rmSync(out, { recursive: true, force: true });
  });

  it('passes a smoke run and reports it in the same metrics as REST', async () => {
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
        `http://127.0.0.1:${grpcPort}`,
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
    expect(report.tool).toBe('grpc-js');
    expect(report.metrics.http_reqs.count).toBeGreaterThan(0);
    expect(report.metrics.http_req_failed.rate).toBe(0);
    expect(report.metrics.checks.rate).toBe(1);
    expect(report.thresholds.filter((t) => !t.ok)).toEqual([]);
    expect(code).toBe(0);
    // The calls reached the gRPC door, not REST.
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    const grpcCalls =
      /inference_requests_total\{model="breast-cancer",version="\d",status="200",protocol="grpc"\} (\d+)/g;
    const counted = [...text.matchAll(grpcCalls)].reduce((n, m) => n + Number(m[1]), 0);
    expect(counted).toBe(report.metrics.http_reqs.count);
  }, 60_000);

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
