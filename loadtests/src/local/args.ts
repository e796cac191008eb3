import { parseArgs } from 'node:util';
import { isScenarioName, SCENARIO_NAMES, type ScenarioName } from '../scenarios';

export interface CliArgs {
  scenario: ScenarioName;
  target: string;
  stack: string;
  model?: string;
  durationSec?: number;
  batchSize?: number;
  outDir: string;
  /** REST (autocannon) or the gRPC API (a Node gRPC client); the target's host:port serves it. */
  protocol: 'rest' | 'grpc';
}

export const USAGE =
  'usage: npm run loadtest -- --scenario <smoke|load|stress|spike|soak> --target <url> ' +
  '[--stack <stack>] [--model <name>] [--duration <seconds>] [--batch-size <n>] [--out <dir>] ' +
  '[--protocol <rest|grpc>]\n' +
  'An API key, if the target needs one, is read from LOADTEST_API_KEY.';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function positive(name: string, raw: string | undefined, integer: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${raw}"`);
  }
  return n;
}

export function parseCliArgs(argv: string[]): CliArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        scenario: { type: 'string' },
        target: { type: 'string' },
        stack: { type: 'string', default: 'local' },
        model: { type: 'string' },
        duration: { type: 'string' },
        'batch-size': { type: 'string' },
        out: { type: 'string' },
        protocol: { type: 'string', default: 'rest' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const scenario = values.scenario;
  if (!scenario || !isScenarioName(scenario)) {
    throw new UsageError(
      `--scenario must be one of ${SCENARIO_NAMES.join(', ')}, got ${JSON.stringify(scenario ?? null)}`,
    );
  }
  const target = values.target;
  let url: URL;
  try {
    url = new URL(target ?? '');
  } catch {
    throw new UsageError(
      `--target must be an http(s) URL such as http://127.0.0.1:8080, got ${JSON.stringify(target ?? null)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--target must use http or https, got "${url.protocol}"`);
  }
  const protocol = values.protocol;
  if (protocol !== 'rest' && protocol !== 'grpc') {
    throw new UsageError(`--protocol must be rest or grpc, got "${protocol}"`);
  }
  return {
    protocol,
    scenario,
    target: url.toString().replace(/\/+$/, ''),
    stack: values.stack ?? 'local',
    model: values.model,
    durationSec: positive('duration', values.duration, false),
    batchSize: positive('batch-size', values['batch-size'], true),
    outDir: values.out ?? `out/loadtest/${scenario}`,
  };
}
