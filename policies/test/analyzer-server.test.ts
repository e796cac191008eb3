import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { REPO_ROOT } from '@ml-platform/stack-config';
import { gpuNodeGroup } from './support/stack';
import { UNKNOWN_NUMBER } from './support/unknown';

/**
 * The pack as the Pulumi CLI runs it: `index.ts` started in `policies/`, spoken to over the analyzer
 * gRPC protocol with @pulumi/pulumi's own generated client. The CLI itself cannot run here, so this is
 * the closest real check that `pulumi preview --policy-pack policies` loads the pack and gets verdicts.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const pulumiDir = path.dirname(require.resolve('@pulumi/pulumi/package.json'));
const fromPulumi = (m: string) => require(require.resolve(m, { paths: [pulumiDir] }));
const analyzerPb = require('@pulumi/pulumi/proto/analyzer_pb');
const analyzerGrpc = require('@pulumi/pulumi/proto/analyzer_grpc_pb');
const { Struct } = fromPulumi('google-protobuf/google/protobuf/struct_pb');
const { Empty } = fromPulumi('google-protobuf/google/protobuf/empty_pb');
/* eslint-enable @typescript-eslint/no-require-imports */

type Call = (req: unknown, cb: (err: Error | null, res: Record<string, () => unknown>) => void) => void;
let server: ChildProcess;
let client: Record<string, Call> & { close(): void };

const call = (method: string, req: unknown) =>
  new Promise<Record<string, (...a: unknown[]) => unknown>>((resolve, reject) =>
    client[method].call(client, req, (err, res) => (err ? reject(err) : resolve(res as never))),
  );

beforeAll(async () => {
  server = spawn(process.execPath, [require.resolve('tsx/cli'), 'index.ts'], {
    cwd: path.join(REPO_ROOT, 'policies'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  server.stderr?.on('data', (d) => (stderr += String(d)));
  const port = await new Promise<number>((resolve, reject) => {
    server.stdout?.on('data', (d) => {
      const m = /^(\d+)\s*$/m.exec(String(d));
      if (m) resolve(Number(m[1]));
    });
    server.on('exit', (code) => reject(new Error(`pack exited with ${code}: ${stderr}`)));
  });
  client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 60_000);

afterAll(() => {
  client?.close();
  server?.kill();
});

function analyzeRequest(props: Record<string, unknown>) {
  const req = new analyzerPb.AnalyzeRequest();
  req.setType('aws:eks/nodeGroup:NodeGroup');
  req.setName('gpu-g5');
  req.setUrn('urn:pulumi:prod::ml-platform::aws:eks/nodeGroup:NodeGroup::gpu-g5');
  req.setProperties(Struct.fromJavaScript(props));
  req.setOptions(new analyzerPb.AnalyzerResourceOptions());
  return req;
}

type Diagnostic = Record<string, () => unknown>;

it('serves the pack under its name with every policy', async () => {
  const info = await call('getAnalyzerInfo', new Empty());
  expect(info.getName()).toBe('ml-platform-guardrails');
  const names = (info.getPoliciesList() as Diagnostic[]).map((p) => p.getName());
  expect(names).toEqual(
    expect.arrayContaining(['sla-alerts', 'budget-covers-max-cost', 'gpu-node-groups', 'redis-encryption']),
  );
  expect(names).toHaveLength(18);
});

it('reports a mandatory violation for an uncapped GPU group, reading the prod stack', async () => {
  const props = gpuNodeGroup({ scalingConfig: { minSize: 0, maxSize: 100 } }).props;
  const res = await call('analyze', analyzeRequest(props));
  const diags = (res.getDiagnosticsList() as Diagnostic[]).map((d) => [
    d.getPolicyname(),
    d.getMessage(),
    d.getEnforcementlevel(),
  ]);
  expect(diags).toEqual([
    [
      'gpu-node-groups',
      expect.stringMatching(/\nscalingConfig\.maxSize 100 is above the GPU node cap 16$/),
      analyzerPb.EnforcementLevel.MANDATORY,
    ],
  ]);
});

it('turns an unknown max size during preview into an advisory note, not a verdict', async () => {
  const props = gpuNodeGroup({ scalingConfig: { minSize: 0, maxSize: UNKNOWN_NUMBER } }).props;
  const res = await call('analyze', analyzeRequest(props));
  const diags = (res.getDiagnosticsList() as Diagnostic[]).map((d) => [
    d.getPolicyname(),
    d.getMessage(),
    d.getEnforcementlevel(),
  ]);
  expect(diags).toEqual([
    [
      'gpu-node-groups',
      expect.stringContaining("can't be known during preview"),
      analyzerPb.EnforcementLevel.ADVISORY,
    ],
  ]);
});
