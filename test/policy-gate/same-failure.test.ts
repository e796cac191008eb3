import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { ConfigError, stackFile } from '@ml-platform/stack-config';
import { synthStack } from '@ml-platform/infra/synth';
import { runGate } from '@ml-platform/policies/gate';
import { engineEnv, PackExit, startPack } from '../../policies/test/support/pack-process';

/**
 * One bad stack value, three ways to run the stack: offline synth, the offline gate and the pack as
 * `pulumi preview` starts it. Each must refuse it with the very same message, naming key and value.
 */
jest.setTimeout(120_000);

const CASES: [what: string, key: string, value: unknown, expected: RegExp][] = [
  [
    'an instance type the price table cannot price',
    'ml-platform:cluster',
    { version: '1.33', systemNodes: { instanceType: 'm5.large', min: 2, max: 4 } },
    /ml-platform:cluster\.systemNodes\.instanceType: must be an instance type in the price table: .* \(got "m5\.large"\)/,
  ],
  [
    'an AWS provider region other than the platform region',
    'aws:region',
    'eu-west-1',
    /aws:region: must equal ml-platform:region \(us-east-1\), or be left unset \(got "eu-west-1"\)/,
  ],
  [
    'a p99 below the p95',
    'ml-platform:sla',
    {
      p50LatencyMs: 20,
      p95LatencyMs: 50,
      p99LatencyMs: 40,
      errorRatePct: 0.1,
      availabilityPct: 99.9,
      peakRps: 500,
    },
    /ml-platform:sla\.p99LatencyMs: must be >= p95LatencyMs \(50\), got 40 \(got 40\)/,
  ],
];

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'same-failure-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Pulumi.prod.yaml with one value replaced, written as a stack file of its own. */
function brokenProd(key: string, value: unknown): string {
  const doc = parse(fs.readFileSync(stackFile('prod'), 'utf8')) as { config: Record<string, unknown> };
  doc.config[key] = value;
  const file = path.join(dir, `${key.replace(/\W/g, '-')}.yaml`);
  fs.writeFileSync(file, stringify(doc));
  return file;
}

async function rejection(run: Promise<unknown>): Promise<Error> {
  try {
    await run;
  } catch (e) {
    return e as Error;
  }
  throw new Error('the bad value was accepted');
}

it.each(CASES)(
  '%s fails the same way in synth, the offline gate and the pack',
  async (_what, key, value, expected) => {
    const configFile = brokenProd(key, value);

    const synth = await rejection(synthStack('prod', { configFile }));
    expect(synth).toBeInstanceOf(ConfigError);
    expect(synth.message).toMatch(expected);

    const gate = await rejection(runGate({ stack: 'prod', configFile }));
    expect(gate.message).toBe(synth.message);

    const pack = await rejection(startPack(engineEnv('prod', { configFile })));
    expect(pack).toBeInstanceOf(PackExit);
    expect((pack as PackExit).code).toBe(1);
    expect((pack as PackExit).stderr.trim()).toBe(synth.message);
  },
);
