import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SERVICE_IMAGE_COMMAND } from '@ml-platform/contract/names';
import { REPO_ROOT } from '@ml-platform/stack-config';
import { startServiceProcess, waitReady } from '../support/service-process';
import { dockerIgnored, parseDockerfile, type Stage } from './support/dockerfile';

/**
 * No Docker engine can run here, so the images are checked in two halves: the Dockerfiles are parsed
 * and their rules asserted, and the build step they run (tsc with docker/tsconfig.service.json) is
 * run for real and its output started with `node`, as the image's CMD does.
 */
const read = (f: string) => fs.readFileSync(path.join(REPO_ROOT, f), 'utf8');
const IMAGES = { cpu: 'docker/Dockerfile', gpu: 'docker/Dockerfile.gpu' } as const;
const ignorePatterns = read('.dockerignore').split('\n');

const run = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

describe.each(Object.entries(IMAGES))('%s image (%s)', (kind, file) => {
  const text = read(file);
  const { stages } = parseDockerfile(text);
  const runtime = stages[stages.length - 1];

  it('is multi-stage and ends in a runtime stage that installs nothing itself', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(runtime.name).toBe('runtime');
    expect(
      run(runtime, 'RUN')
        .map((r) => r.args)
        .join(' '),
    ).not.toMatch(/\bnpm\b|\bnpx\b/);
    const fromStages = run(runtime, 'COPY')
      .map((c) => /--from=(\S+)/.exec(c.args)?.[1])
      .filter((s): s is string => s !== undefined);
    expect(fromStages).toEqual(expect.arrayContaining(['deps', 'build']));
  });

  it("copies the JSON float reader's WebAssembly next to its compiled module (tsc does not)", () => {
    expect(run(runtime, 'COPY').map((c) => c.args)).toContain(
      'service/src/protocol/json-numbers.wasm service/dist/src/protocol/',
    );
  });

  it('runs as a numeric non-root user set before the command', () => {
    const users = run(runtime, 'USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = users[0].args.split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    expect(Number.isInteger(uid)).toBe(true);
    const cmd = run(runtime, 'CMD')[0];
    expect(cmd.line).toBeGreaterThan(users[0].line);
    expect(JSON.parse(cmd.args)).toEqual([...SERVICE_IMAGE_COMMAND]);
  });

  it('never carries Pulumi: every install is of the service workspace and no other package is copied', () => {
    const instructions = stages
      .flatMap((s) => s.instructions.map((i) => `${i.keyword} ${i.args}`))
      .join('\n');
    expect(instructions).not.toMatch(/pulumi/i);
    const installs = stages
      .flatMap((s) => run(s, 'RUN'))
      .filter((r) => /\bnpm (ci|install|i)\b/.test(r.args));
    expect(installs.length).toBeGreaterThan(0);
    for (const r of installs) expect(r.args).toMatch(/(-w|--workspace)[ =]service\b/);
    const depsInstall = installs.filter((r) => /--omit=dev/.test(r.args));
    expect(depsInstall).toHaveLength(1);
    expect(depsInstall[0].args).toContain('--include-workspace-root=false');
    expect(depsInstall[0].args).toMatch(
      /find node_modules\/onnxruntime-node\/bin .*! -name linux -exec rm -rf/,
    );
    for (const c of stages.flatMap((s) => run(s, 'COPY')).filter((c) => !c.args.includes('--from='))) {
      const sources = c.args.split(/\s+/).slice(0, -1);
      for (const src of sources) {
        expect(src).not.toBe('.');
        if (/^(infra|policies|loadtests|stack-config)\//.test(src)) expect(src).toMatch(/\/package\.json$/);
      }
    }
  });

  it('copies only what .dockerignore lets into the build context', () => {
    const sources = stages
      .flatMap((s) => run(s, 'COPY'))
      .filter((c) => !c.args.includes('--from='))
      .flatMap((c) => c.args.split(/\s+/).slice(0, -1));
    for (const src of sources) {
      const probe = src.endsWith('/src') ? `${src}/main.ts` : src;
      expect([src, dockerIgnored(ignorePatterns, probe)]).toEqual([src, false]);
    }
  });

  it('checks health on the OIP liveness endpoint and serves the mounted model repository', () => {
    expect(run(runtime, 'HEALTHCHECK')[0]?.args).toContain('/v2/health/live');
    expect(
      run(runtime, 'ENV')
        .map((e) => e.args)
        .join(' '),
    ).toMatch(/MODEL_REPOSITORY=\/models/);
    expect(run(runtime, 'EXPOSE').map((e) => e.args)).toEqual(['8080']);
  });

  it(
    kind === 'gpu'
      ? 'installs the CUDA 12 onnxruntime on an NVIDIA CUDA runtime base'
      : 'skips the CUDA download',
    () => {
      const deps = stages.find((s) => s.name === 'deps')!;
      const env = run(deps, 'ENV')
        .map((e) => e.args)
        .join(' ');
      if (kind === 'gpu') {
        expect(env).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
        const base = parseDockerfile(text).args.find((a) => a.args.startsWith('CUDA_IMAGE='))?.args ?? '';
        expect(runtime.from).toBe('${CUDA_IMAGE}');
        expect(base).toMatch(/^CUDA_IMAGE=nvidia\/cuda:12\.[\d.]+-cudnn-runtime-/);
      } else {
        expect(env).toContain('ONNXRUNTIME_NODE_INSTALL=skip');
        expect(runtime.from).toMatch(/^node:\$\{NODE_VERSION\}-bookworm-slim$/);
      }
    },
  );
});

describe('.dockerignore', () => {
  it('keeps secrets, git history, tests, models and other packages` sources out of the context', () => {
    for (const f of [
      '.git/config',
      '.env',
      'service/.env.local',
      'node_modules/x/index.js',
      'models/digits/1/model.onnx',
      'infra/src/program.ts',
      'policies/src/index.ts',
      'Pulumi.prod.yaml',
      'service/test/http-api.test.ts',
      'service/src/x.test.ts',
    ]) {
      expect([f, dockerIgnored(ignorePatterns, f)]).toEqual([f, true]);
    }
    for (const f of [
      'package-lock.json',
      'service/src/main.ts',
      'infra/package.json',
      'docker/tsconfig.service.json',
      'service/console/public/console.js',
    ]) {
      expect([f, dockerIgnored(ignorePatterns, f)]).toEqual([f, false]);
    }
  });
});

describe('the image build step, run for real', () => {
  // Under service/ like the image's service/dist, so modules resolve from service/node_modules first.
  const outDir = path.join(REPO_ROOT, 'service', 'dist', `docker-build-test-${process.pid}`);
  // Where the contract's `compiled` export condition points, as in the image.
  const contractDist = path.join(REPO_ROOT, 'contract', 'dist');
  afterAll(() => {
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.rmSync(contractDist, { recursive: true, force: true });
  });
  const tsc = (...args: string[]) => {
    const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  };

  it('compiles the contract and the service as the image does, and the output serves the bundled models', async () => {
    tsc('-p', 'docker/tsconfig.contract.json');
    tsc('-p', 'docker/tsconfig.service.json', '--outDir', outDir);
    // The worker thread is started by file name next to its parent module, so it must be emitted too.
    expect(fs.existsSync(path.join(outDir, 'src', 'main.js'))).toBe(true);
    expect(fs.existsSync(path.join(outDir, 'package.json'))).toBe(true);
    // What the runtime stage copies next to the compiled service: the console page and its bundle, and
    // the JSON float reader's WebAssembly.
    fs.cpSync(path.join(REPO_ROOT, 'service', 'console', 'public'), path.join(outDir, 'console', 'public'), {
      recursive: true,
    });
    fs.copyFileSync(
      path.join(REPO_ROOT, 'service', 'src', 'protocol', 'json-numbers.wasm'),
      path.join(outDir, 'src', 'protocol', 'json-numbers.wasm'),
    );

    // The image's command, with its node options, on this build's main.js.
    const [, ...nodeArgs] = JSON.parse(
      run(parseDockerfile(read(IMAGES.cpu)).stages.at(-1)!, 'CMD')[0].args,
    ) as string[];
    const service = await startServiceProcess(
      { MODEL_REPOSITORY: path.join(REPO_ROOT, 'models'), NODE_ENV: 'production' },
      60_000,
      [...nodeArgs.slice(0, -1), path.join(outDir, 'src', 'main.js')],
    );
    try {
      await waitReady(service, 60_000);
      const infer = await fetch(`${service.url}/v2/models/digits/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [{ name: 'pixels', shape: [64], datatype: 'UINT8', data: Array(64).fill(3) }],
        }),
      });
      expect(infer.status).toBe(200);
      const bundle = await fetch(`${service.url}/console/console.js`);
      expect(bundle.status).toBe(200);
      expect((await bundle.text()).length).toBeGreaterThan(10_000);
    } finally {
      await service.stop();
    }
  }, 120_000);
});
