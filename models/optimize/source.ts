import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseVersionDir, readModelConfig } from '@ml-platform/service/model-tooling';
import type { ModelConfig } from '@ml-platform/service/repository/model-config';
import { OptimizeError } from './errors';

/** `<model>/testdata/test.json`: classifiers give `labels`, regressors `targets`. */
export interface HeldOut {
  file: string;
  inputs: number[][];
  labels?: number[];
  targets?: number[][] | number[];
}

export interface ModelSource {
  repository: string;
  name: string;
  dir: string;
  config: ModelConfig;
  version: string;
  modelFile: string;
  /** Every version directory on disk, ascending. */
  versions: number[];
  heldOut: HeldOut;
  /** Rows for static calibration: `testdata/calibration.json` (training rows) when present. */
  calibration: { rows: number[][]; source: string };
}

/** Reads everything the command needs about one model version; nothing is written. */
export function readModelSource(repository: string, name: string, version?: string): ModelSource {
  const root = resolve(repository);
  const dir = join(root, name);
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(name) || !existsSync(join(dir, 'config.json'))) {
    const known = existsSync(root) ? modelNames(root) : [];
    throw new OptimizeError(
      `unknown model '${name}': no ${join(dir, 'config.json')} (models in ${root}: ${known.join(', ') || 'none'})`,
    );
  }
  let config: ModelConfig;
  try {
    config = readModelConfig(join(dir, 'config.json'), name);
  } catch (e) {
    throw new OptimizeError((e as Error).message);
  }
  const versions = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => parseVersionDir(d.name))
    .filter((v): v is number => v !== undefined)
    .sort((a, b) => a - b);
  const chosen = version ?? config.traffic?.stable ?? String(versions[versions.length - 1] ?? '');
  const modelFile = join(dir, chosen, 'model.onnx');
  if (!chosen || !existsSync(modelFile)) {
    throw new OptimizeError(
      `model '${name}' has no version '${chosen || '(none)'}': ${modelFile} does not exist (versions: ${versions.join(', ') || 'none'})`,
    );
  }
  const heldOut = readHeldOut(join(dir, 'testdata', 'test.json'), name);
  const calibrationFile = join(dir, 'testdata', 'calibration.json');
  const calibration = existsSync(calibrationFile)
    ? { rows: rowsOf(readJson(calibrationFile), calibrationFile), source: 'testdata/calibration.json' }
    : { rows: heldOut.inputs, source: 'testdata/test.json (no calibration.json: held-out rows)' };
  return { repository: root, name, dir, config, version: chosen, modelFile, versions, heldOut, calibration };
}

function readHeldOut(file: string, name: string): HeldOut {
  if (!existsSync(file)) {
    throw new OptimizeError(
      `model '${name}' has no held-out data: expected ${file} holding {"inputs": [[...]], "labels": [...]} ` +
        '(classifier) or {"inputs": [[...]], "targets": [...]} (regressor); validation needs it',
    );
  }
  const raw = readJson(file) as Record<string, unknown>;
  const inputs = rowsOf(raw, file);
  const answers = raw.labels ?? raw.targets;
  if (!Array.isArray(answers) || answers.length !== inputs.length) {
    throw new OptimizeError(
      `${file}: needs "labels" (classifier) or "targets" (regressor) with one entry per input row (${inputs.length})`,
    );
  }
  return raw.labels !== undefined
    ? { file, inputs, labels: raw.labels as number[] }
    : { file, inputs, targets: raw.targets as number[] };
}

function rowsOf(raw: unknown, file: string): number[][] {
  const inputs = (raw as { inputs?: unknown }).inputs;
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every(Array.isArray)) {
    throw new OptimizeError(`${file}: "inputs" must be a non-empty array of rows (arrays of numbers)`);
  }
  return inputs as number[][];
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new OptimizeError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
}

function modelNames(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'config.json')))
    .map((d) => d.name)
    .sort();
}
