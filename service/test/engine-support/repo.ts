import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Tensor } from '../../src/core/tensor';
import { linkModelFiles } from '../../../test/support/model-repo';
import type { BatchEvent, EngineObserver } from '../../src/engine';

const ROOT = resolve(__dirname, '../../..');
export const BUNDLED = join(ROOT, 'models');
export const FAULTS = join(ROOT, 'test/fixtures/models');
export const SERVICE_FIXTURES = resolve(__dirname, '../fixtures');

export interface ModelSource {
  /** Directory of an existing model (config.json + version dirs). */
  from: string;
  versions?: string[];
  /** Merged over the source's config.json. */
  config?: Record<string, unknown>;
}

/** A throw-away model repository assembled from real models; model files are linked, not copied. */
export class TempRepo {
  readonly path = mkdtempSync(join(tmpdir(), 'engine-repo-'));

  constructor(models: Record<string, ModelSource>) {
    for (const [name, source] of Object.entries(models)) this.add(name, source);
  }

  add(name: string, { from, versions = ['1'], config = {} }: ModelSource): void {
    const dir = join(this.path, name);
    mkdirSync(dir, { recursive: true });
    const base = JSON.parse(readFileSync(join(from, 'config.json'), 'utf8'));
    this.writeConfig(name, { ...base, ...config, name });
    linkModelFiles(from, dir);
    for (const v of versions) this.linkVersion(name, v, join(from, v, 'model.onnx'));
  }

  writeConfig(name: string, config: unknown): void {
    writeFileSync(
      join(this.path, name, 'config.json'),
      typeof config === 'string' ? config : JSON.stringify(config),
    );
  }

  linkVersion(name: string, version: string, file: string): void {
    const dir = join(this.path, name, version);
    mkdirSync(dir, { recursive: true });
    rmSync(join(dir, 'model.onnx'), { force: true });
    symlinkSync(file, join(dir, 'model.onnx'));
  }

  /** Replaces a version's file by a copy of another (a real file, not a link). */
  replaceVersion(name: string, version: string, file: string): void {
    const target = join(this.path, name, version, 'model.onnx');
    rmSync(target, { force: true });
    copyFileSync(file, target);
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Records what the engine reports. */
export class RecordingObserver implements EngineObserver {
  batches: BatchEvent[] = [];
  loads: { model: string; version: string; seconds: number; ok: boolean; reason?: string }[] = [];
  rejects: { model: string; version: string; reason: string }[] = [];
  depths: number[] = [];
  onBatch = (e: BatchEvent) => void this.batches.push(e);
  onModelLoad = (e: RecordingObserver['loads'][number]) => void this.loads.push(e);
  onReject = (e: RecordingObserver['rejects'][number]) => void this.rejects.push(e);
  onQueueDepth = (e: { depth: number }) => void this.depths.push(e.depth);
}

/**
 * The flaky fixture batching by size: eight rows fill a batch and leave at once. A long queue
 * delay: on a loaded machine the eight submissions of one tick can outlast the fixture's 1 ms, and
 * the batch must form by size, not by the clock.
 */
export const FLAKY_BY_SIZE: ModelSource = {
  from: join(FAULTS, 'flaky'),
  config: {
    dynamic_batching: {
      max_queue_delay_microseconds: 200_000,
      preferred_batch_size: [8],
      max_queue_size: 64,
    },
  },
};

export const farDeadline = () => performance.now() + 60_000;

/** Rows of FP32 values, deterministic per seed. */
export function fp32Rows(name: string, rows: number, width: number, seed: number): Tensor {
  const data = new Float32Array(rows * width);
  let x = seed * 7919 + 1;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    data[i] = (x / 2147483648) * 4 - 2;
  }
  return { name, datatype: 'FP32', shape: [rows, width], data };
}

/** One row of a batched tensor, as a plain array. */
export function row(t: Tensor, i: number): unknown[] {
  const width = t.data.length / t.shape[0];
  return Array.from((t.data as Float32Array).subarray(i * width, (i + 1) * width));
}
