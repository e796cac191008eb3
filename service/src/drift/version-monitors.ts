import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ModelConfig } from '../repository/model-config';
import type { VersionScores } from './version-scores';

/** What an observer that scores traffic against per-model reference profiles needs. */
export interface ProfileObserverDeps {
  repositoryPath: string;
  modelConfig(model: string): ModelConfig;
  registry: Registry;
  logger: Logger;
  /** Receives every closed window's score, for readers in this process (the rollout controller). */
  scores: VersionScores;
}

/**
 * Reads a JSON profile; null (with one warning) when it is missing, unparsable or fails `validate`,
 * so that a bad profile switches its monitoring off instead of failing requests.
 */
export function readProfileFile<T>(
  file: string,
  validate: (loaded: T) => string | undefined,
  logger: Logger,
  context: Record<string, unknown>,
): T | null {
  try {
    const loaded = JSON.parse(readFileSync(file, 'utf8')) as T;
    const problem = validate(loaded);
    if (!problem) return loaded;
    logger.warn({ ...context, file, problem }, 'reference profile rejected');
  } catch (err) {
    logger.warn({ ...context, file, err: (err as Error).message }, 'reference profile unreadable');
  }
  return null;
}

/**
 * Reads a model's profile from its directory, under the name `fileOf` finds in its config
 * (undefined: the model is not monitored).
 */
export function profileReader<P>(
  deps: Pick<ProfileObserverDeps, 'repositoryPath' | 'logger'>,
  fileOf: (config: ModelConfig) => string | undefined,
  validate: (loaded: P) => string | undefined,
): (model: string, config: ModelConfig) => P | null {
  return (model, config) => {
    const name = fileOf(config);
    if (name === undefined) return null;
    return readProfileFile(path.join(deps.repositoryPath, model, name), validate, deps.logger, { model });
  };
}

interface Loaded<P, M> {
  profile: P | null;
  monitors: Map<string, M | null>;
}

/**
 * One monitor per model version, against a profile read once per model config. Keyed by the config
 * object: a (re)load reads a new config, so it also reads the profile again and starts new monitors.
 */
export class VersionMonitors<P, M> {
  private readonly byConfig = new WeakMap<ModelConfig, Loaded<P, M>>();

  constructor(
    private readonly read: (model: string, config: ModelConfig) => P | null,
    /** Null: this version is not monitored (asked once per version and config). */
    private readonly create: (profile: P, model: string, version: string, config: ModelConfig) => M | null,
  ) {}

  get(model: string, config: ModelConfig, version: string): M | null {
    let loaded = this.byConfig.get(config);
    if (!loaded) {
      loaded = { profile: this.read(model, config), monitors: new Map() };
      this.byConfig.set(config, loaded);
    }
    if (!loaded.profile) return null;
    let monitor = loaded.monitors.get(version);
    if (monitor === undefined) {
      monitor = this.create(loaded.profile, model, version, config);
      loaded.monitors.set(version, monitor);
    }
    return monitor;
  }
}
