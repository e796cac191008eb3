import { cpSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ModelConfigSchema } from '@ml-platform/service/repository/model-config';
import { selectVersions } from '@ml-platform/service/model-tooling';
import { OptimizeError } from './errors';

type RawConfig = Record<string, unknown> & {
  traffic?: Record<string, unknown>;
  version_policy?: { latest?: { num_versions: number }; all?: object; specific?: { versions: number[] } };
};

/**
 * The config after publishing `canary` next to `stable`: the canary at `weightPct`, and a version
 * policy that still serves both. Other keys are kept as written. Pure; validated before it is returned.
 */
export function withCanary(raw: RawConfig, stable: string, canary: string, weightPct: number): RawConfig {
  const traffic = { ...raw.traffic, stable: (raw.traffic?.stable as string | undefined) ?? stable };
  const next: RawConfig = {
    ...raw,
    traffic: { ...traffic, canary: { version: canary, weight_pct: weightPct } },
  };
  const policy = raw.version_policy ?? { latest: { num_versions: 1 } };
  const wanted = [Number(traffic.stable), Number(canary)];
  if (policy.latest) {
    const span = Number(canary) - Math.min(...wanted) + 1;
    next.version_policy = { latest: { num_versions: Math.max(policy.latest.num_versions, span) } };
  } else if (policy.specific) {
    next.version_policy = { specific: { versions: [...new Set([...policy.specific.versions, ...wanted])] } };
  }
  const parsed = ModelConfigSchema.safeParse(next);
  if (!parsed.success) {
    throw new OptimizeError(`the updated config would not validate: ${parsed.error.issues[0].message}`);
  }
  const served = selectVersions(parsed.data.version_policy, wanted);
  if (!wanted.every((v) => served.includes(v))) {
    throw new OptimizeError(`the version policy would not serve both versions ${wanted.join(' and ')}`);
  }
  return next;
}

const PRINT_WIDTH = 110; // .prettierrc.json

/**
 * JSON laid out the way prettier lays out the repository's configs (and build_models.py's to_json
 * writes them): objects expanded, arrays of scalars on one line when they fit. Pure.
 */
export function layoutJson(value: unknown, indent = 0, prefix = 0): string {
  const pad = ' '.repeat(indent + 2);
  if (Array.isArray(value) && value.length > 0) {
    const inline = `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    if (
      value.every((v) => v === null || typeof v !== 'object') &&
      prefix + inline.length + 1 <= PRINT_WIDTH
    ) {
      return inline;
    }
    const items = value.map((v) => pad + layoutJson(v, indent + 2, pad.length));
    return `[\n${items.join(',\n')}\n${' '.repeat(indent)}]`;
  }
  if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
    const items = Object.entries(value).map(([k, v]) => {
      const key = `${pad}${JSON.stringify(k)}: `;
      return key + layoutJson(v, indent + 2, key.length);
    });
    return `{\n${items.join(',\n')}\n${' '.repeat(indent)}}`;
  }
  return JSON.stringify(value);
}

export interface Publication {
  version: string;
  dir: string;
}

/**
 * Adds `files` (name -> path) as version `<highest + 1>` of the model and makes it the canary. The
 * version directory appears whole (staged under a dot-name the repository ignores, then renamed), and
 * config.json is replaced in one rename, so a service loading the model never sees half of either.
 */
export async function publishVersion(
  modelDir: string,
  versions: readonly number[],
  stable: string,
  files: Record<string, string>,
  weightPct: number,
): Promise<Publication> {
  const version = String(Math.max(0, ...versions) + 1);
  const dir = join(modelDir, version);
  const staging = join(modelDir, `.publishing-${version}`);
  const configFile = join(modelDir, 'config.json');
  if (existsSync(dir)) throw new OptimizeError(`${dir} already exists; nothing published`);
  const config = withCanary(
    JSON.parse(readFileSync(configFile, 'utf8')) as RawConfig,
    stable,
    version,
    weightPct,
  );
  const text = `${layoutJson(config)}\n`;
  rmSync(staging, { recursive: true, force: true });
  let moved = false;
  try {
    for (const [name, from] of Object.entries(files)) cpSync(from, join(staging, name));
    renameSync(staging, dir);
    moved = true;
    writeFileSync(`${configFile}.tmp`, text);
    renameSync(`${configFile}.tmp`, configFile);
  } catch (e) {
    // Leave the repository as it was: no version without its canary config, no stray files.
    rmSync(moved ? dir : staging, { recursive: true, force: true });
    rmSync(`${configFile}.tmp`, { recursive: true, force: true });
    throw new OptimizeError(`publishing ${basename(modelDir)} v${version} failed: ${(e as Error).message}`);
  }
  return { version, dir };
}
