import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const FIXTURE_MODELS = resolve(__dirname, '..', 'fixtures', 'models');
export const BUNDLED_MODELS = resolve(__dirname, '..', '..', 'models');

export interface RepoModel {
  /** Name in the temporary repository. */
  name: string;
  /** Directory of an existing model (fixtures or bundled) whose versions and config to start from. */
  from: string;
  /** Shallow overrides of the source config.json (name is always set to `name`). */
  config?: Record<string, unknown>;
  versions?: string[];
  /** A version built from another model's version directory instead of `from`'s (a canary fixture). */
  versionFrom?: Record<string, string>;
}

/** Links the files a config may name next to it (labels, reference profiles), not config.json itself. */
export function linkModelFiles(from: string, to: string): void {
  for (const f of readdirSync(from, { withFileTypes: true })) {
    if (f.isFile() && f.name !== 'config.json') symlinkSync(join(from, f.name), join(to, f.name));
  }
}

/**
 * A throwaway model repository assembled from real model files, so that a test can give a real
 * model a config of its own (cache on, a fallback, a tight breaker) without touching the shared ones.
 */
export function makeModelRepo(models: RepoModel[]): { path: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'model-repo-'));
  for (const m of models) {
    const dir = join(root, m.name);
    mkdirSync(dir);
    const base = JSON.parse(readFileSync(join(m.from, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...base, ...m.config, name: m.name }, null, 2));
    linkModelFiles(m.from, dir);
    for (const v of m.versions ?? ['1']) {
      // Real version directories (the repository scans for directories) holding links to the files.
      mkdirSync(join(dir, v));
      const source = m.versionFrom?.[v] ?? join(m.from, v);
      for (const f of readdirSync(source)) symlinkSync(join(source, f), join(dir, v, f));
    }
  }
  return { path: root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
