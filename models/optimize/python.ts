import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OptimizeError } from './errors';

const HERE = __dirname;
const STAMP = '.requirements.sha256';

/** What a venv is for: its pinned requirements, and what to say when there is no Python to make it. */
export interface VenvSpec {
  requirements: string;
  /** Why Python is needed, e.g. "INT8 quantisation needs Python 3 (onnxruntime.quantization)". */
  need: string;
  /** What to do instead, after "install python3 (with its venv module), or set …". */
  otherwise: string;
}

/** The INT8 quantiser's venv (models/optimize/requirements.txt). */
export const QUANTISER_VENV: VenvSpec = {
  requirements: join(HERE, 'requirements.txt'),
  need: 'INT8 quantisation needs Python 3 (onnxruntime.quantization)',
  otherwise: 'or set OPTIMIZE_PYTHON; --mode graph needs no Python',
};

export interface PythonEnv {
  /** The interpreter that creates the venv (OPTIMIZE_PYTHON, default python3). */
  python: string;
  /** The venv (OPTIMIZE_VENV, default .venv at the repository root, ignored by git). */
  venv: string;
}

export function pythonEnv(env: NodeJS.ProcessEnv): PythonEnv {
  return {
    python: env.OPTIMIZE_PYTHON || 'python3',
    venv: resolve(env.OPTIMIZE_VENV || join(HERE, '..', '..', '.venv')),
  };
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started at all (ENOENT). */
  spawnError?: NodeJS.ErrnoException;
}

function run(cmd: string, args: string[]): Promise<Ran> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', (spawnError: NodeJS.ErrnoException) =>
      done({ code: null, stdout, stderr, spawnError }),
    );
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

const tail = (text: string) => text.trim().split('\n').slice(-5).join('\n');

/**
 * The venv's interpreter, creating the venv and installing the pinned requirements on first use (or
 * when the requirements file changed since). Python is needed only here, never to serve.
 */
export async function ensureVenv(
  env: PythonEnv,
  log: (line: string) => void,
  spec: VenvSpec = QUANTISER_VENV,
): Promise<string> {
  const { requirements } = spec;
  const bin = join(env.venv, 'bin', 'python');
  const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  const stamp = join(env.venv, STAMP);
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === wanted) return bin;
  if (!existsSync(bin)) {
    log(`creating a Python venv in ${env.venv} for ${requirements} (first use)`);
    const made = await run(env.python, ['-m', 'venv', env.venv]);
    if (made.spawnError?.code === 'ENOENT') {
      throw new OptimizeError(
        `${spec.need}, but '${env.python}' was not found on PATH. ` +
          `Install python3 (with its venv module), ${spec.otherwise}.`,
      );
    }
    if (made.code !== 0)
      throw new OptimizeError(`${env.python} -m venv ${env.venv} failed:\n${tail(made.stderr)}`);
  }
  log(`installing ${requirements} into ${env.venv}`);
  const pip = await run(bin, [
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '-q',
    '-r',
    requirements,
  ]);
  if (pip.code !== 0) throw new OptimizeError(`pip install -r ${requirements} failed:\n${tail(pip.stderr)}`);
  writeFileSync(stamp, `${wanted}\n`);
  return bin;
}

export interface QuantiseRequest {
  mode: 'dynamic' | 'static';
  input: string;
  output: string;
  perChannel: boolean;
  /** A JSON file of calibration rows (static mode). */
  calibration?: string;
}

export interface QuantiseResult {
  quantised_ops: Record<string, number>;
  onnxruntime: string;
}

/** Runs models/optimize/quantize.py; its refusals (nothing to quantise, quantiser errors) become OptimizeErrors. */
export async function quantise(python: string, req: QuantiseRequest): Promise<QuantiseResult> {
  const args = [join(HERE, 'quantize.py'), '--mode', req.mode, '--input', req.input, '--output', req.output];
  if (req.perChannel) args.push('--per-channel');
  if (req.calibration) args.push('--calibration', req.calibration);
  const ran = await run(python, args);
  if (ran.code !== 0) {
    const reason = ran.stderr
      .split('\n')
      .filter((l) => l.startsWith('onnxruntime.quantization'))
      .join('\n');
    throw new OptimizeError(
      `the INT8 quantiser cannot handle ${req.input}: ${reason || tail(ran.stderr) || `exit code ${ran.code}`}`,
    );
  }
  return JSON.parse(ran.stdout.trim().split('\n').pop()!) as QuantiseResult;
}
