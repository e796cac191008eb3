import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listStacks, REPO_ROOT } from '@ml-platform/stack-config';
import { runGate, type Violation } from '@ml-platform/policies/gate';
import { runnerLookalikes } from '../support/runner-closing-forms';

// Each case synthesises a whole stack (seconds each) and the CLI cases start tsx: generous timeouts
// keep them stable on a loaded CI machine.
jest.setTimeout(120_000);

/**
 * The offline gate end to end: the real stack program under mocks, the whole pack over what it
 * declares. Every stack in the repo must pass; each broken fixture must fail with its violation.
 */
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'stacks');

const mandatory = (vs: Violation[]) =>
  vs.filter((v) => v.enforcementLevel === 'mandatory').map((v) => `${v.policyName}: ${v.message}`);

describe('every stack in the repo passes the pack', () => {
  it.each(listStacks())('%s', async (stack) => {
    const gate = await runGate({ stack });
    expect(mandatory(gate.evaluation.violations)).toEqual([]);
    // The pack really looked at the stack: each policy checked the resources it is about.
    const expected = ['inference-rate-limit', 'workload-security-context', 'workload-probes', 'sla-alerts'];
    if (gate.synth.config.environment !== 'local') {
      expected.push('gpu-node-groups', 'redis-encryption', 'budget-notifications', 'budget-covers-max-cost');
      expected.push('cost-alerts');
      expected.push(
        'cloudwatch-alarm-actions',
        'cost-allocation-tags',
        'public-ingress-waf',
        'redis-not-public',
      );
      if (gate.synth.config.environment !== 'dev') expected.push('inference-auth');
    }
    if (gate.synth.config.environment === 'prod')
      expected.push('prod-availability', 'redis-high-availability');
    expect(Object.keys(gate.evaluation.checked)).toEqual(expect.arrayContaining(expected));
  });
});

const CASES: [file: string, stack: string, expected: string][] = [
  [
    'budget-below-estimate.yaml',
    'prod',
    'budget-covers-max-cost: budget budget limit $1000.00/month is below the estimated cost at maximum scale',
  ],
  ['gpu-uncapped.yaml', 'prod', 'gpu-node-groups: scalingConfig.maxSize 100 is above the GPU node cap 16'],
  [
    'rate-limit-unbounded.yaml',
    'prod',
    'inference-rate-limit: container "inference" RATE_LIMIT_RPS=1000000 is above the allowed maximum 10000',
  ],
  [
    'redis-unencrypted.yaml',
    'prod',
    'redis-encryption: atRestEncryptionEnabled is not true: snapshots and swap are unencrypted',
  ],
  [
    'alert-looser-than-sla.yaml',
    'prod',
    'sla-alerts: p99 latency alert is looser than the SLA: InferenceLatencyP99AboveSla > 250ms for 5m; the SLA p99 is 100ms',
  ],
  [
    'cost-alert-looser-than-budget.yaml',
    'prod',
    'cost-alerts: cost per 1k predictions (inference_cost_usd_total over inference_requests_total) alert is looser than the budget: InferenceCostPer1kAboveBudget > 1;',
  ],
  [
    'auth-off-prod.yaml',
    'prod',
    'inference-auth: container "inference" sets neither API_KEYS nor API_KEYS_FILE: authentication is off',
  ],
];

describe('broken fixtures fail with the expected violation', () => {
  it.each(CASES)('%s', async (file, stack, expected) => {
    const gate = await runGate({ stack, configFile: path.join(FIXTURES, file) });
    const found = mandatory(gate.evaluation.violations);
    expect(found.some((l) => l.startsWith(expected))).toBe(true);
  });

  it('covers every fixture in the directory', () => {
    const files = fs
      .readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    expect(files).toEqual(CASES.map(([f]) => f).sort());
  });
});

describe('npm run policy:check', () => {
  const cli = (args: string[]) =>
    spawnSync(
      process.execPath,
      [require.resolve('tsx/cli'), path.join(REPO_ROOT, 'policies/src/gate/cli.ts'), ...args],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );

  it('prints policy, resource, message and level, and exits 1 on a mandatory violation', () => {
    const run = cli(['--stack', 'prod', '--config-file', path.join(FIXTURES, 'gpu-uncapped.yaml')]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('[mandatory] gpu-node-groups (high) aws:eks/nodeGroup:NodeGroup gpu-g5');
    expect(run.stdout).toContain('scalingConfig.maxSize 100 is above the GPU node cap 16');
    expect(run.stdout).toMatch(/^policy gate failed: 1 mandatory and 0 advisory violation\(s\)$/m);
    expect(runnerLookalikes(run.stdout)).toEqual([]);
  });

  it('exits 2 with a message naming the problem for bad arguments and a bad policy config', () => {
    const noStack = cli([]);
    expect(noStack.status).toBe(2);
    expect(noStack.stderr).toContain('--stack (or --all) is required');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-config-'));
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ 'gpu-node-groups': { maxNodes: 'many' } }));
    const badConfig = cli(['--stack', 'dev', '--policy-config', bad]);
    expect(badConfig.status).toBe(2);
    expect(badConfig.stderr).toContain('gpu-node-groups.maxNodes: expected "number", got "many"');
    fs.rmSync(dir, { recursive: true });
  });
});
