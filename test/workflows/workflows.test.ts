import * as fs from 'node:fs';
import * as path from 'node:path';
import { listStacks, loadStackConfig, REPO_ROOT, stackConfigMap } from '@ml-platform/stack-config';
import { K6_SCRIPTS_DIR, SCENARIO_NAMES } from '@ml-platform/loadtests';
import { packSetup, stackPolicyConfigFile } from '@ml-platform/policies/gate';
import {
  evaluateCondition,
  expressions,
  loadYaml,
  needsOf,
  references,
  unsafeRunExpressions,
  WORKFLOW_DIR,
  type Job,
  type Step,
  type Workflow,
} from './support/workflow';

const dir = WORKFLOW_DIR(REPO_ROOT);
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yml'));
const workflows = Object.fromEntries(files.map((f) => [f, loadYaml<Workflow>(path.join(dir, f))]));
const pr = workflows['pr.yml'];
const main = workflows['main.yml'];
const deployGate = workflows['deploy-gate.yml'];
const rootScripts = (
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;
const cloudStacks = listStacks().filter((s) => loadStackConfig(s).environment !== 'local');

const steps = (job: Job): Step[] => job.steps ?? [];
const stepUsing = (job: Job, action: string): Step[] =>
  steps(job).filter((s) => s.uses?.split('@')[0] === action);
const runs = (job: Job) =>
  steps(job)
    .flatMap((s) => (s.run ? [s.run] : []))
    .join('\n');
const allJobs = Object.entries(workflows).flatMap(([file, wf]) =>
  Object.entries(wf.jobs).map(([id, job]) => ({ file, id, job })),
);
// Composite actions run scripts too; their steps are checked like a job's.
const actionsDir = path.join(REPO_ROOT, '.github', 'actions');
const compositeActions = fs.readdirSync(actionsDir).map((name) => ({
  file: `actions/${name}`,
  id: 'runs',
  job: {
    steps: loadYaml<{ runs: { steps?: Step[] } }>(path.join(actionsDir, name, 'action.yml')).runs.steps,
  },
}));

/** Whether `job` transitively needs `dependency` in workflow `wf`. */
function dependsOn(wf: Workflow, job: string, dependency: string): boolean {
  return needsOf(wf.jobs[job]).some((n) => n === dependency || dependsOn(wf, n, dependency));
}

describe('every workflow', () => {
  it('exists: pr, main and the reusable ci and deploy-gate', () => {
    expect(files.sort()).toEqual(['ci.yml', 'deploy-gate.yml', 'main.yml', 'pr.yml']);
  });

  it.each(allJobs.map((j) => [`${j.file} ${j.id}`, j]))(
    '%s: remote actions pinned to a major version, local ones present',
    (_n, { job }) => {
      for (const uses of [job.uses, ...steps(job).map((s) => s.uses)].filter((u): u is string => !!u)) {
        if (uses.startsWith('./')) {
          const target = path.join(REPO_ROOT, uses);
          expect([
            uses,
            fs.existsSync(uses.endsWith('.yml') ? target : path.join(target, 'action.yml')),
          ]).toEqual([uses, true]);
        } else {
          expect(uses).toMatch(/^[\w-]+\/[\w.-]+(\/[\w./-]+)?@v\d+$/);
        }
      }
    },
  );

  it.each(allJobs.map((j) => [`${j.file} ${j.id}`, j]))(
    '%s: expressions only reference declared needs, steps, matrix keys and outputs',
    (_n, { file, id, job }) => {
      const wf = workflows[file];
      const exprs = [
        ...expressions(job),
        ...(job.if ? [job.if] : []),
        ...steps(job).flatMap((s) => (s.if ? [s.if] : [])),
      ];
      const stepIds = steps(job)
        .map((s) => s.id)
        .filter(Boolean);
      const matrixKeys = Object.keys(job.strategy?.matrix ?? {});
      const inputs = Object.keys(
        ((wf.on.workflow_call as { inputs?: object } | null)?.inputs ?? {}) as object,
      );
      for (const e of exprs) {
        for (const [need, kind, output] of references(e, 'needs')) {
          expect([id, e, needsOf(job)]).toEqual([id, e, expect.arrayContaining([need])]);
          if (kind === 'outputs')
            expect([e, Object.keys(wf.jobs[need].outputs ?? {})]).toEqual([
              e,
              expect.arrayContaining([output]),
            ]);
        }
        for (const [step] of references(e, 'steps'))
          expect([e, stepIds]).toEqual([e, expect.arrayContaining([step])]);
        for (const [key] of references(e, 'matrix'))
          expect([e, matrixKeys]).toEqual([e, expect.arrayContaining([key])]);
        for (const [input] of references(e, 'inputs'))
          expect([e, inputs]).toEqual([e, expect.arrayContaining([input])]);
      }
    },
  );

  it.each([...allJobs, ...compositeActions].map((j) => [`${j.file} ${j.id}`, j]))(
    '%s: run scripts splice in no value the workflow does not fix itself (the rest goes through env:)',
    (_n, { job }) => {
      expect(unsafeRunExpressions(job)).toEqual([]);
    },
  );

  it('inline in a script, allows only a matrix key the job lists as plain words', () => {
    const job = (matrix: Record<string, unknown> | undefined, run: string): Job => ({
      strategy: matrix && { matrix },
      steps: [{ run }],
    });
    const flagged = (matrix: Record<string, unknown> | undefined, expr: string) =>
      unsafeRunExpressions(job(matrix, `echo \${{ ${expr} }}`));
    expect(flagged({ stack: ['dev', 'prod'] }, 'matrix.stack')).toEqual([]);
    expect(flagged({ stack: ['dev'], include: [{ stack: 'a b' }] }, 'matrix.stack')).toEqual([
      'matrix.stack',
    ]);
    expect(flagged({ stack: ['$(id)'] }, 'matrix.stack')).toEqual(['matrix.stack']);
    expect(flagged({ stack: '${{ fromJSON(inputs.s) }}' }, 'matrix.stack')).toEqual(['matrix.stack']);
    for (const e of [
      'inputs.image',
      'github.event.pull_request.title',
      'vars.X',
      'needs.a.outputs.b',
      'env.A',
    ])
      expect(flagged({ stack: ['dev'] }, e)).toEqual([e]);
  });

  it('calls reusable workflows with exactly their declared inputs', () => {
    for (const { job } of allJobs.filter((j) => j.job.uses?.startsWith('./.github/workflows/'))) {
      const called = loadYaml<Workflow>(path.join(REPO_ROOT, job.uses!));
      const declared =
        (called.on.workflow_call as { inputs?: Record<string, { required?: boolean }> } | null)?.inputs ?? {};
      const given = Object.keys(job.with ?? {});
      expect(given.filter((k) => !(k in declared))).toEqual([]);
      expect(Object.keys(declared).filter((k) => declared[k].required && !given.includes(k))).toEqual([]);
    }
  });

  it('runs only npm scripts the root package.json defines, scenarios that exist and stacks in the repo', () => {
    const text = files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
    for (const [, script] of text.matchAll(/npm run ([\w:-]+)/g))
      expect([script, script in rootScripts]).toEqual([script, true]);
    for (const [, s] of text.matchAll(/(?:--scenario |SCENARIO=)(\w+)/g)) expect(SCENARIO_NAMES).toContain(s);
    for (const [, s] of text.matchAll(/(?:--stack |STACK=|stack: )(\w+)\b/g))
      expect(listStacks()).toContain(s);
    for (const job of Object.values(main.jobs).filter((j) => j.with?.scenarios)) {
      for (const s of JSON.parse(job.with!.scenarios) as string[]) expect(SCENARIO_NAMES).toContain(s);
    }
  });

  it('uses only secrets that loadtests/README.md documents', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'loadtests', 'README.md'), 'utf8');
    const text = files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
    const secrets = new Set(
      [...text.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]).filter((s) => s !== 'GITHUB_TOKEN'),
    );
    expect(secrets.size).toBeGreaterThan(0);
    for (const s of secrets) expect([s, readme.includes(`\`${s}\``)]).toEqual([s, true]);
  });
});

describe('pull requests (pr.yml)', () => {
  it('install, lint and test (.ci/run on Debian) come first', () => {
    expect(Object.keys(pr.on)).toEqual(['pull_request']);
    expect(pr.jobs.test.uses).toBe('./.github/workflows/ci.yml');
    const ci = workflows['ci.yml'].jobs.test;
    expect(runs(ci)).toBe('bash .ci/run');
    expect(String(ci.container)).toMatch(/^node:20-bookworm/);
  });

  it('runs the offline policy gate on every stack, after the tests', () => {
    const gate = pr.jobs['policy-gate'];
    expect(needsOf(gate)).toEqual(['test']);
    expect([...(gate.strategy?.matrix?.stack as string[])].sort()).toEqual(listStacks());
    expect(runs(gate)).toContain('npm run policy:check -- --stack ${{ matrix.stack }}');
  });

  it('then previews each cloud stack with the policy pack and comments on the PR', () => {
    const preview = pr.jobs.preview;
    expect(dependsOn(pr, 'preview', 'policy-gate')).toBe(true);
    expect(dependsOn(pr, 'preview', 'test')).toBe(true);
    expect((preview.strategy?.matrix?.stack as string[]).sort()).toEqual(cloudStacks.sort());
    const [pulumi] = stepUsing(preview, 'pulumi/actions');
    expect(pulumi.uses).toBe('pulumi/actions@v6');
    expect(pulumi.with).toMatchObject({ command: 'preview', policyPacks: 'policies', 'comment-on-pr': true });
    expect(String(pulumi.with?.['stack-name'])).toContain('${{ matrix.stack }}');
    expect(pulumi.env?.PULUMI_ACCESS_TOKEN).toBe('${{ secrets.PULUMI_ACCESS_TOKEN }}');
    expect(preview.permissions).toMatchObject({ 'pull-requests': 'write', 'id-token': 'write' });
    // The program and the pack are installed before the action runs them; credentials come from OIDC.
    const order = steps(preview).map((s) => s.uses?.split('@')[0]);
    expect(order.indexOf('./.github/actions/node-deps')).toBeLessThan(order.indexOf('pulumi/actions'));
    expect(order.indexOf('aws-actions/configure-aws-credentials')).toBeLessThan(
      order.indexOf('pulumi/actions'),
    );
  });

  it('gates on short smoke and stress passes against the service started on the bundled models', () => {
    const gate = pr.jobs.loadgate;
    expect(needsOf(gate)).toEqual(['test']);
    const script = runs(gate);
    expect(script).toMatch(/npm start/);
    expect(script).toMatch(/npm run loadtest -- --scenario smoke --target "\$TARGET" --stack local/);
    expect(script).toMatch(/npm run loadtest -- --scenario stress --target "\$TARGET" --stack local/);
    const [k6] = stepUsing(gate, 'grafana/run-k6-action');
    expect(
      fs.readdirSync(K6_SCRIPTS_DIR).map((f) => `loadtests/dist/${path.basename(f, '.ts')}.js`),
    ).toContain(k6.with?.path);
    expect(String(k6.with?.flags)).toContain('-e STACK=local');
    expect(gate.env?.TARGET).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe('the policy pack under pulumi/actions', () => {
  const packSteps = allJobs.flatMap(({ file, id, job }) =>
    stepUsing(job, 'pulumi/actions')
      .filter((s) => s.with?.policyPacks !== undefined)
      .map((step) => ({ where: `${file} ${id}`, step })),
  );

  it('runs on every preview and deploy, as the pack directory alone', () => {
    expect(packSteps.map((p) => p.where).sort()).toEqual(['deploy-gate.yml deploy', 'pr.yml preview']);
    for (const { step } of packSteps) {
      expect(step.with?.policyPacks).toBe('policies');
      // The pack brings each stack's config itself; a second source here could only disagree with it.
      expect(step.with?.policyPackConfigs).toBeUndefined();
    }
  });

  it.each(cloudStacks)('gives stack %s its own policy config and waivers', (stack) => {
    const file = stackPolicyConfigFile(stack);
    expect(file).toBe(path.join(REPO_ROOT, 'policies', 'config', `${stack}.json`));
    // What the pack reports to the engine when the engine starts it for this stack.
    const { initialConfig } = packSetup(stack, stackConfigMap(stack));
    expect(initialConfig).toEqual(JSON.parse(fs.readFileSync(String(file), 'utf8')));
    expect(JSON.stringify(initialConfig)).toContain('dcgm-exporter');
  });
});

describe('main (main.yml + deploy-gate.yml)', () => {
  it('tests, then builds and pushes both images, then deploys staging, then promotes the same image to prod', () => {
    expect(main.on).toEqual({ push: { branches: ['main'] } });
    expect(needsOf(main.jobs.image)).toEqual(['test']);
    const builds = stepUsing(main.jobs.image, 'docker/build-push-action');
    expect(builds.map((b) => b.with?.file)).toEqual(['docker/Dockerfile', 'docker/Dockerfile.gpu']);
    for (const b of builds) {
      expect(b.with?.push).toBe(true);
      expect(fs.existsSync(path.join(REPO_ROOT, String(b.with?.file)))).toBe(true);
    }
    expect(main.jobs.staging).toMatchObject({
      uses: './.github/workflows/deploy-gate.yml',
      with: { stack: 'staging' },
    });
    expect(main.jobs.prod).toMatchObject({
      uses: './.github/workflows/deploy-gate.yml',
      with: { stack: 'prod' },
    });
    expect(dependsOn(main, 'staging', 'image')).toBe(true);
    expect(dependsOn(main, 'prod', 'staging')).toBe(true);
    // Default status check: a failed staging gate (the called workflow fails) skips the promotion.
    expect(main.jobs.prod.if).toBeUndefined();
    expect(main.jobs.staging.with?.image).toBe(main.jobs.prod.with?.image);
  });

  it('deploys with pulumi up and exports the stack endpoint the gate targets', () => {
    const deploy = deployGate.jobs.deploy;
    const up = stepUsing(deploy, 'pulumi/actions').find((s) => s.with?.command === 'up')!;
    expect(up.uses).toBe('pulumi/actions@v6');
    expect(up.id).toBe('up');
    expect(deployGate.env?.STACK_NAME).toContain('${{ inputs.stack }}');
    expect(deploy.outputs?.endpoint).toBe('${{ steps.up.outputs.endpoint }}');
    // The running image is recorded before the new one is set: it is the rollback target.
    const previous = steps(deploy).find((s) => s.id === 'previous')!;
    expect(previous.env?.IMAGE).toBe('${{ inputs.image }}');
    expect(previous.run).toMatch(
      /config get --path ml-platform:service\.image[\s\S]*config set --path ml-platform:service\.image "\$IMAGE"/,
    );
    expect(steps(deploy).indexOf(previous)).toBeLessThan(steps(deploy).indexOf(up));
  });

  it('gates with grafana/setup-k6-action and run-k6-action on the bundle, against the endpoint output, per scenario', () => {
    const gate = deployGate.jobs.gate;
    expect(needsOf(gate)).toEqual(['deploy']);
    expect(gate.strategy).toMatchObject({ 'fail-fast': true, 'max-parallel': 1 });
    const order = steps(gate).map((s) => s.uses?.split('@')[0] ?? s.run);
    const build = order.indexOf(order.find((o) => o?.startsWith('npm run build:k6'))!);
    expect(build).toBeGreaterThan(-1);
    expect(build).toBeLessThan(order.indexOf('grafana/setup-k6-action'));
    expect(order.indexOf('grafana/setup-k6-action')).toBeLessThan(order.indexOf('grafana/run-k6-action'));
    const [run] = stepUsing(gate, 'grafana/run-k6-action');
    expect(run.with?.path).toBe('loadtests/dist/oip-infer.js');
    const flags = String(run.with?.flags);
    expect(flags).toContain('-e TARGET=${{ needs.deploy.outputs.endpoint }}');
    expect(flags).toContain('-e STACK=${{ inputs.stack }}');
    expect(flags).toContain('-e SCENARIO=${{ matrix.scenario }}');
    expect(flags).not.toMatch(/API_KEY/);
    expect(run.env?.API_KEY).toBe('${{ secrets.LOADTEST_API_KEY }}');
  });

  describe('rollback', () => {
    const rollback = deployGate.jobs.rollback;
    const decide = (deploy: string, gate: string, previousImage = 'ghcr.io/x/service:old') =>
      evaluateCondition(
        rollback.if!,
        {
          needs: {
            deploy: { result: deploy, outputs: { 'previous-image': previousImage } },
            gate: { result: gate },
          },
        },
        {
          success: deploy === 'success' && gate === 'success',
          failure: deploy === 'failure' || gate === 'failure',
        },
      );

    it('runs after the deploy and the gate, when the gate fails, and not when it passes', () => {
      expect(needsOf(rollback).sort()).toEqual(['deploy', 'gate']);
      expect(decide('success', 'failure')).toBe(true);
      expect(decide('success', 'success')).toBe(false);
      expect(decide('success', 'cancelled')).toBe(false);
    });

    it('also runs when the update itself failed, but only when there is a previous image to go back to', () => {
      expect(decide('failure', 'skipped')).toBe(true);
      expect(decide('failure', 'skipped', '')).toBe(false);
    });

    it('aborts the Argo rollout for canary and blue-green, undoes a Deployment otherwise, then redeploys the previous image', () => {
      const abort = steps(rollback).find((s) => s.run?.includes('kubectl patch rollout'))!;
      expect(abort.run).toContain('{"status":{"abort":true}}');
      const strategyCtx = (strategy: string) => ({ needs: { deploy: { outputs: { strategy } } } });
      const status = { success: true, failure: false };
      expect(
        ['canary', 'blue-green', 'rolling'].map((s) => evaluateCondition(abort.if!, strategyCtx(s), status)),
      ).toEqual([true, true, false]);
      const undo = steps(rollback).find((s) => s.run?.includes('kubectl rollout undo'))!;
      expect(
        ['canary', 'blue-green', 'rolling'].map((s) => evaluateCondition(undo.if!, strategyCtx(s), status)),
      ).toEqual([false, false, true]);
      const pin = steps(rollback).find((s) => s.run?.includes('config set'))!;
      expect(pin.run).toContain('"$PREVIOUS_IMAGE"');
      expect(rollback.env?.PREVIOUS_IMAGE).toBe('${{ needs.deploy.outputs.previous-image }}');
      const up = stepUsing(rollback, 'pulumi/actions').find((s) => s.with?.command === 'up')!;
      expect(steps(rollback).indexOf(pin)).toBeLessThan(steps(rollback).indexOf(up));
      expect(steps(rollback).indexOf(abort)).toBeLessThan(steps(rollback).indexOf(up));
    });
  });
});
