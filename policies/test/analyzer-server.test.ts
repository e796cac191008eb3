import * as fs from 'node:fs';
import * as path from 'node:path';
import { gpuNodeGroup } from './support/stack';
import { UNKNOWN_NUMBER } from './support/unknown';
import {
  analyzerPb,
  Empty,
  engineEnv,
  startPack,
  Struct,
  type Reply,
  type RunningPack,
} from './support/pack-process';

let prod: RunningPack;

beforeAll(async () => {
  prod = await startPack(engineEnv('prod'));
}, 60_000);

afterAll(() => prod?.stop());

function analyzeRequest(props: Record<string, unknown>) {
  const req = new analyzerPb.AnalyzeRequest();
  req.setType('aws:eks/nodeGroup:NodeGroup');
  req.setName('gpu-g5');
  req.setUrn('urn:pulumi:prod::ml-platform::aws:eks/nodeGroup:NodeGroup::gpu-g5');
  req.setProperties(Struct.fromJavaScript(props));
  req.setOptions(new analyzerPb.AnalyzerResourceOptions());
  return req;
}

it('serves the pack under its name with every policy', async () => {
  const info = await prod.call('getAnalyzerInfo', new Empty());
  expect(info.getName()).toBe('ml-platform-guardrails');
  const names = (info.getPoliciesList() as Reply[]).map((p) => p.getName());
  expect(names).toEqual(
    expect.arrayContaining(['sla-alerts', 'budget-covers-max-cost', 'gpu-node-groups', 'redis-encryption']),
  );
  expect(names).toHaveLength(19);
});

it('reports a mandatory violation for an uncapped GPU group, reading the prod stack', async () => {
  const props = gpuNodeGroup({ scalingConfig: { minSize: 0, maxSize: 100 } }).props;
  const res = await prod.call('analyze', analyzeRequest(props));
  const diags = (res.getDiagnosticsList() as Reply[]).map((d) => [
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
  const res = await prod.call('analyze', analyzeRequest(props));
  const diags = (res.getDiagnosticsList() as Reply[]).map((d) => [
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

/** The initial config a pack reports, as the CLI reads it before applying `--policy-pack-config`. */
function initialConfig(info: Reply): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  (info.getInitialconfigMap() as Map<string, Reply>).forEach((entry, policy) => {
    const level = entry.getEnforcementlevel();
    out[policy] = {
      ...(entry.getProperties() as { toJavaScript(): Record<string, unknown> }).toJavaScript(),
      ...(level ? { enforcementLevel: level } : {}),
    };
  });
  return out;
}

it("carries each stack's own policy config, so `--policy-pack policies` alone applies its waivers", async () => {
  // The engine applies a pack's initial config over the policies' defaults and any
  // --policy-pack-config over that (ReconcilePolicyPackConfig), so this is what the preview runs with.
  const expected = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'config', 'dev.json'), 'utf8'));
  expect(Object.keys(expected)).toEqual(['workload-security-context', 'public-ingress-waf']);
  const dev = await startPack(engineEnv('dev'));
  try {
    expect(initialConfig(await dev.call('getAnalyzerInfo', new Empty()))).toEqual(expected);
  } finally {
    dev.stop();
  }
  expect(initialConfig(await prod.call('getAnalyzerInfo', new Empty()))).toEqual(
    JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'config', 'prod.json'), 'utf8')),
  );
}, 60_000);
