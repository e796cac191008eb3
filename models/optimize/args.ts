import { OptimizeError } from './errors';

export const MODES = ['dynamic', 'static', 'graph'] as const;
export type Mode = (typeof MODES)[number];

export interface OptimizeArgs {
  model: string;
  /** Undefined: the model's stable version (traffic.stable), else its highest version. */
  version?: string;
  mode: Mode;
  publish: boolean;
  repository: string;
  /** Where a run without --publish writes its report and model. */
  out?: string;
  /** Interleaved latency rounds per batch size, and how long each model runs in a round. */
  rounds: number;
  roundMs: number;
}

export const USAGE =
  'usage: npm run model:optimize -- --model <name> [--version <v>] [--mode dynamic|static|graph] [--publish]\n' +
  '         [--out <dir>] [--rounds <n>] [--round-ms <ms>]   (repository: MODEL_REPOSITORY, default models/)\n' +
  "       npm run model:optimize -- --setup   (only create the quantiser's Python venv)";

/** `--setup` alone: create the venv and stop (CI does this before the tests). */
export function isSetup(argv: readonly string[]): boolean {
  return argv.length === 1 && argv[0] === '--setup';
}

const FLAGS = new Set(['publish']);
const VALUED = new Set(['model', 'version', 'mode', 'out', 'rounds', 'round-ms']);

/** Parses the command line; throws an OptimizeError (exit 2) naming the bad argument. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): OptimizeArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || (!FLAGS.has(name) && !VALUED.has(name))) {
      throw usage(`unknown argument '${argv[i]}'`);
    }
    if (FLAGS.has(name)) {
      flags.add(name);
      continue;
    }
    const value = argv[++i];
    if (value === undefined || value.startsWith('--')) throw usage(`--${name} needs a value`);
    values.set(name, value);
  }
  const model = values.get('model');
  if (!model) throw usage('--model is required');
  const mode = values.get('mode') ?? 'dynamic';
  if (!(MODES as readonly string[]).includes(mode)) {
    throw usage(`--mode: got '${mode}', expected one of ${MODES.join(', ')}`);
  }
  const version = values.get('version');
  if (version !== undefined && !/^[1-9]\d*$/.test(version)) {
    throw usage(`--version: got '${version}', expected a version number such as 1`);
  }
  return {
    model,
    version,
    mode: mode as Mode,
    publish: flags.has('publish'),
    repository: env.MODEL_REPOSITORY || 'models',
    out: values.get('out'),
    rounds: positiveInt(values, 'rounds', 10),
    roundMs: positiveInt(values, 'round-ms', 150),
  };
}

function positiveInt(values: Map<string, string>, name: string, fallback: number): number {
  const raw = values.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw usage(`--${name}: got '${raw}', expected a positive integer`);
  return n;
}

function usage(message: string): OptimizeError {
  return new OptimizeError(`${message}\n${USAGE}`, 2);
}
