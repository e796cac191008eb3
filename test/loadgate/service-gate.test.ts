import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '@ml-platform/stack-config';
import { buildScenario, planSteps, runLoadTestCli, type LoadTestReport } from '@ml-platform/loadtests';
import { startServiceProcess, waitReady, type ServiceProcess } from '../support/service-process';

/**
 * Short smoke and stress passes of the local runner against the real service (`npm start`'s entry)
 * on the bundled models, on a free loopback port, with the `local` stack's SLA. Each pass is a few
 * seconds and stops by itself.
 *
 * Latency is a performance target: it is printed here and gated by the `loadgate` job of
 * .github/workflows/pr.yml (the same CLI, whose exit code fails the build), not asserted by this
 * test, which on a shared machine would measure the neighbours. What is asserted is behaviour: every
 * request answered correctly at twice the peak, every planned request sent or counted as dropped, and an exit code that
 * matches the verdict.
 */
jest.setTimeout(120_000);

let service: ServiceProcess | undefined;
let out = '';

beforeAll(async () => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'loadgate-'));
  service = await startServiceProcess({ MODEL_REPOSITORY: path.join(REPO_ROOT, 'models') }, 60_000);
  await waitReady(service, 60_000);
});

afterAll(async () => {
  await service?.stop();
  if (out) fs.rmSync(out, { recursive: true, force: true });
});

async function pass(
  scenario: string,
  model: string,
  seconds: number,
): Promise<{ code: number; report: LoadTestReport }> {
  const dir = path.join(out, `${scenario}-${model}`);
  const code = await runLoadTestCli([
    '--scenario',
    scenario,
    '--target',
    service!.url,
    '--stack',
    'local',
    '--model',
    model,
    '--duration',
    String(seconds),
    '--out',
    dir,
  ]);
  return {
    code,
    report: JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as LoadTestReport,
  };
}

/** Thresholds that judge correctness (errors, checks) rather than speed. */
function functionalFailures(report: LoadTestReport) {
  return report.thresholds.filter((t) => t.metric !== 'http_req_duration' && !t.ok);
}

it.each(['breast-cancer', 'digits', 'heavy-mlp'])(
  'smoke: %s answers every request correctly',
  async (model) => {
    const { code, report } = await pass('smoke', model, 3);
    expect(code).toBe(report.passed ? 0 : 1);
    expect(functionalFailures(report)).toEqual([]);
    expect(report.requests).toBeGreaterThan(0);
    expect(report.metrics.http_req_failed.passes).toBe(0);
    expect(report.metrics.checks.fails).toBe(0);
  },
);

it('stress: breast-cancer answers every request correctly at twice the local peak', async () => {
  const { code, report } = await pass('stress', 'breast-cancer', 5);
  expect(code).toBe(report.passed ? 0 : 1);
  expect(functionalFailures(report)).toEqual([]);
  // The hold stage asks for 2x peak. How much of it a busy machine delivers is a performance number
  // (printed above); what must hold is that every planned request is either sent or counted as dropped.
  const hold = report.stages[report.stages.length - 1];
  expect(hold.targetRps).toBe(2 * report.sla.peakRps);
  expect(hold.requests).toBeGreaterThan(0);
  const planned = planSteps(buildScenario(report.sla, 'stress', 5).profile).reduce(
    (n, s) => n + Math.round(s.rate * s.durationSec),
    0,
  );
  expect(report.requests + report.metrics.dropped_iterations.count).toBeGreaterThanOrEqual(planned);
});
