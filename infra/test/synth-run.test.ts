import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '@ml-platform/stack-config';
import { main } from '../src/synth/cli';
import { SECRET_PLACEHOLDER, redact, synthStack } from '../src/synth/run';

describe('synthStack', () => {
  it('runs repeatedly in one process without leaking resources or transformations between runs', async () => {
    const prod1 = await synthStack('prod');
    const dev = await synthStack('dev');
    const prod2 = await synthStack('prod');
    expect(prod2.resources.map((r) => [r.type, r.name])).toEqual(
      prod1.resources.map((r) => [r.type, r.name]),
    );
    expect(JSON.stringify(prod2.resources)).toEqual(JSON.stringify(prod1.resources));
    expect(JSON.stringify(dev.resources)).not.toContain('ml-platform-prod');
    expect(dev.resources.every((r) => r.urn.startsWith('urn:pulumi:dev::ml-platform::'))).toBe(true);
  }, 60_000);

  it('serialises concurrent calls', async () => {
    const [a, b] = await Promise.all([synthStack('local'), synthStack('dev')]);
    expect(a.stack).toBe('local');
    expect(b.resources.some((r) => r.type === 'aws:eks/nodeGroup:NodeGroup')).toBe(true);
    expect(a.resources.some((r) => r.type.startsWith('aws:'))).toBe(false);
  }, 60_000);

  it('applies raw overrides, with or without the project prefix, and removes keys set to undefined', async () => {
    const r = await synthStack('staging', {
      config: {
        'ml-platform:service': { image: 'x:1', strategy: 'blue-green', auth: true },
        ingress: { enabled: false },
      },
    });
    expect(r.config.service.strategy).toBe('blue-green');
    const kinds = r.resources.map(
      (x) => `${x.inputs.kind}/${(x.inputs.metadata as { name?: string } | undefined)?.name}`,
    );
    expect(kinds).toContain('Service/inference-preview');
    expect(kinds).not.toContain('Ingress/inference');
    await expect(synthStack('prod', { config: { budget: undefined } })).rejects.toThrow(ConfigError);
  }, 60_000);

  it('rejects a bad config before declaring anything, naming key, value and rule', async () => {
    await expect(
      synthStack('prod', {
        config: {
          sla: {
            p50LatencyMs: 20,
            p95LatencyMs: 50,
            p99LatencyMs: 10,
            errorRatePct: 0.1,
            availabilityPct: 99.9,
            peakRps: 5,
          },
        },
      }),
    ).rejects.toThrow(/ml-platform:sla\.p99LatencyMs: must be >= p95LatencyMs \(50\), got 10/);
  });

  it('checks the AWS provider region from the stack file against ml-platform:region', async () => {
    await expect(synthStack('dev', { config: { 'aws:region': 'eu-west-1' } })).rejects.toThrow(
      /aws:region: must equal ml-platform:region/,
    );
  });

  it('reports an unknown stack with the known ones', async () => {
    await expect(synthStack('qa')).rejects.toThrow(
      /unknown stack "qa": .*\(stacks: dev, local, prod, staging\)/,
    );
  });
});

describe('redact', () => {
  it('masks secret leaves but keeps their shape', () => {
    const secret = {
      '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270',
      value: { url: 'redis://:pw@h', n: 1 },
    };
    expect(redact({ a: 1, s: secret, list: [secret] })).toEqual({
      a: 1,
      s: { url: SECRET_PLACEHOLDER, n: SECRET_PLACEHOLDER },
      list: [{ url: SECRET_PLACEHOLDER, n: SECRET_PLACEHOLDER }],
    });
  });
});

describe('synth CLI', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-cli-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('writes resources.json and one YAML file per Kubernetes object', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await main(['--stack', 'dev', '--out', tmp])).toBe(0);
      const printed = log.mock.calls.map((c) => String(c[0])).join('\n');
      expect(printed).toMatch(/pulumi:pulumi:Stack {2}ml-platform-dev/);
      expect(printed).toMatch(/min scale \$[\d,.]+, max scale \$[\d,.]+; budget \$1,500\.00/);
    } finally {
      log.mockRestore();
    }
    const resources = JSON.parse(fs.readFileSync(path.join(tmp, 'resources.json'), 'utf8')) as {
      type: string;
      name: string;
      inputs: object;
    }[];
    expect(resources.length).toBeGreaterThan(50);
    for (const r of resources)
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['type', 'name', 'inputs']));
    const manifests = fs.readdirSync(path.join(tmp, 'manifests'));
    expect(manifests).toContain('inference_deployment_inference.yaml');
    expect(fs.readFileSync(path.join(tmp, 'manifests', 'inference_secret_redis.yaml'), 'utf8')).toContain(
      `url: "${SECRET_PLACEHOLDER}"`,
    );
  }, 60_000);

  it('exits 2 with usage when --stack is missing', async () => {
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await main([])).toBe(2);
      expect(String(err.mock.calls[0][0])).toMatch(
        /usage: npm run synth -- --stack <dev\|local\|prod\|staging>/,
      );
    } finally {
      err.mockRestore();
    }
  });
});

describe('Pulumi entry point', () => {
  it('infra/index.ts exports the program function for Pulumi to call', async () => {
    const entry = (await import('../index')) as unknown as { default?: unknown };
    const { program } = await import('../src/program');
    expect(entry.default ?? entry).toBe(program);
  });
});
