import { existsSync, readdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { BatchRequest, ModelState, OutputClasses, RepositoryIndexEntry } from '../core/engine';
import { badRequest, notFound, unavailable } from '../core/errors';
import type { EngineLogger } from '../core/logger';
import { parseModelConfig, readModelConfig } from './config-file';
import { readLabels } from './labels-file';
import type { ModelConfig } from './model-config';
import type { ModelSignature } from './signature';
import { parseVersionDir, selectVersions } from './version-policy';

/** A warmed-up version ready to take requests. */
export interface LoadedVersion {
  readonly version: string;
  readonly config: ModelConfig;
  readonly signature: ModelSignature;
  /**
   * Queues a request's validated inputs of `rows` rows for execution until `deadline` (on the
   * performance.now() clock); the request is later given every output of the model for those
   * rows. Throws a ServiceError when it cannot be queued.
   */
  submit(request: BatchRequest, rows: number, deadline: number): void;
  /** Stops taking requests, answers the queued ones, then releases the session. */
  close(): Promise<void>;
}

/** Opens, checks and warms up one version; rejects with a message saying what is wrong with it. */
export type VersionLoader = (
  model: string,
  version: string,
  modelFile: string,
  config: ModelConfig,
) => Promise<LoadedVersion>;

interface VersionSlot {
  state: ModelState;
  reason: string;
  /** The load requests go to. During a reload the old one keeps this place until the new one is warm. */
  serving?: LoadedVersion;
}

interface ModelEntry {
  name: string;
  config?: ModelConfig;
  /** Class names per output, from the labels files the config names. */
  labels?: Map<string, string[]>;
  slots: Map<string, VersionSlot>;
  /** False once explicitly unloaded: the model no longer counts towards readiness. */
  wanted: boolean;
  /** Why the model as a whole cannot load (bad config.json, no versions). */
  error?: string;
  /** Loads and unloads of one model run one after another. */
  queue: Promise<unknown>;
}

/**
 * The model repository at run time: which versions of which models serve, in what state, and why.
 * Load, reload and unload never drop a request: a version being replaced keeps serving until its
 * successor is warm, and a retired version drains its queue before its session is released. A
 * failed (re)load leaves whatever was serving in place.
 */
export class ModelRegistry {
  private readonly models = new Map<string, ModelEntry>();
  private closing = false;
  /** Stripped from every reason the registry reports: clients see paths inside the repository only. */
  private readonly rootPrefix: string;

  constructor(
    private readonly root: string,
    private readonly loadVersion: VersionLoader,
    private readonly logger: EngineLogger,
  ) {
    this.rootPrefix = resolve(root) + sep;
  }

  /** Model directories: every subdirectory of the repository holding a config.json. */
  scan(): string[] {
    return readdirSync(this.root, { withFileTypes: true })
      .filter(
        (d) =>
          d.isDirectory() && !d.name.startsWith('.') && existsSync(join(this.root, d.name, 'config.json')),
      )
      .map((d) => d.name)
      .sort();
  }

  /** Loads every model in the repository; failures are recorded in the index and logged, not thrown. */
  async loadAll(): Promise<void> {
    const names = this.scan();
    for (const name of names) this.entry(name);
    for (const name of names) {
      await this.load(name).catch((e: Error) =>
        this.logger.error({ model: name, error: e.message }, 'model failed to load'),
      );
    }
  }

  /**
   * Loads or reloads a model from disk; rejects (400) with every version's failure, 404 for no such
   * model. `configJson`, as Triton's load `parameters.config`, replaces config.json for this load.
   */
  load(name: string, configJson?: string): Promise<void> {
    if (this.closing) return Promise.reject(unavailable('the server is shutting down'));
    if (!this.models.has(name) && !this.isModelDir(name)) {
      return Promise.reject(
        notFound(`unknown model '${name}': no ${join(name, 'config.json')} in the model repository`),
      );
    }
    const entry = this.entry(name);
    return this.serialised(entry, () => this.reload(entry, configJson));
  }

  unload(name: string): Promise<void> {
    const entry = this.models.get(name);
    if (!entry) return Promise.reject(notFound(`unknown model '${name}'`));
    return this.serialised(entry, async () => {
      entry.wanted = false;
      await Promise.all([...entry.slots.values()].map((slot) => this.retire(slot, 'unloaded')));
      this.logger.info({ model: name }, 'model unloaded');
    });
  }

  /** The version a request goes to: the given one, or the highest-numbered ready one. */
  resolve(name: string, version?: string): LoadedVersion {
    const entry = this.models.get(name);
    if (!entry) throw notFound(`unknown model '${name}'`);
    if (version !== undefined) {
      const slot = entry.slots.get(version);
      if (!slot) {
        const known = [...entry.slots.keys()].join(', ') || 'none';
        throw notFound(`model '${name}' has no version '${version}' (versions: ${known})`);
      }
      if (!slot.serving || this.closing) {
        throw unavailable(`model '${name}' version ${version} is not ready: ${this.describe(slot)}`);
      }
      return slot.serving;
    }
    const latest = this.latestServing(entry);
    if (!latest || this.closing) {
      const why = entry.error ?? [...entry.slots.values()].map((s) => this.describe(s)).join('; ');
      throw unavailable(`model '${name}' has no ready version${why ? `: ${why}` : ''}`);
    }
    return latest;
  }

  config(name: string): ModelConfig {
    const entry = this.models.get(name);
    if (!entry) throw notFound(`unknown model '${name}'`);
    if (!entry.config)
      throw unavailable(`model '${name}' has no valid config: ${entry.error ?? 'not loaded yet'}`);
    return entry.config;
  }

  outputClasses(name: string, output: string): OutputClasses {
    const config = this.config(name);
    return { batched: config.max_batch_size > 0, labels: this.models.get(name)?.labels?.get(output) };
  }

  /** Ready versions in ascending order. */
  readyVersions(name: string): string[] {
    const entry = this.models.get(name);
    return entry ? this.servingVersions(entry).map((v) => v.version) : [];
  }

  index(): RepositoryIndexEntry[] {
    const out: RepositoryIndexEntry[] = [];
    for (const name of [...this.models.keys()].sort()) {
      const entry = this.models.get(name)!;
      if (entry.error || entry.slots.size === 0) {
        out.push({ name, state: entry.error ? 'UNAVAILABLE' : 'LOADING', reason: entry.error ?? '' });
      }
      const versions = [...entry.slots.entries()].sort((a, b) => Number(a[0]) - Number(b[0]));
      for (const [version, slot] of versions)
        out.push({ name, version, state: slot.state, reason: slot.reason });
    }
    return out;
  }

  /** Every model not explicitly unloaded has at least one warmed-up version serving. */
  isReady(): boolean {
    if (this.closing) return false;
    for (const entry of this.models.values()) {
      if (entry.wanted && this.servingVersions(entry).length === 0) return false;
    }
    return true;
  }

  /**
   * Why isReady() is false: each model that counts towards readiness and serves no version, with
   * the reason when its load failed. Empty when ready.
   */
  notReadyReasons(): string[] {
    if (this.closing) return ['the server is shutting down'];
    const out: string[] = [];
    for (const entry of this.models.values()) {
      if (!entry.wanted || this.servingVersions(entry).length > 0) continue;
      const failed = [...entry.slots]
        .filter(([, s]) => s.state === 'UNAVAILABLE')
        .map(([v, s]) => `version ${v}: ${s.reason}`);
      const why = entry.error ?? (failed.length > 0 ? failed.join('; ') : undefined);
      out.push(why ? `model '${entry.name}' failed to load: ${why}` : `model '${entry.name}' is loading`);
    }
    return out;
  }

  /**
   * The repository holds this model (loaded or not), and this version of it when one is given: a
   * name that passes is bounded by the repository's contents, so it may become a metric label.
   */
  holds(name: string, version?: string): boolean {
    const entry = this.models.get(name);
    if (!entry && !this.isModelDir(name)) return false;
    if (version === undefined || entry?.slots.has(version)) return true;
    return parseVersionDir(version) !== undefined && existsSync(join(this.root, name, version));
  }

  /** Refuses new work, lets every queue drain, releases every session. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [...this.models.values()].map((entry) =>
        this.serialised(entry, () =>
          Promise.all([...entry.slots.values()].map((s) => this.retire(s, 'server shut down'))),
        ),
      ),
    );
  }

  private async reload(entry: ModelEntry, configJson?: string): Promise<void> {
    const { name } = entry;
    entry.wanted = true;
    const dir = join(this.root, name);
    let config: ModelConfig;
    let labels: Map<string, string[]>;
    let selected: string[];
    try {
      config =
        configJson === undefined
          ? readModelConfig(join(dir, 'config.json'), name)
          : parseModelConfig(configJson, name, 'parameters.config');
      labels = readLabels(dir, config);
      selected = selectVersions(config.version_policy, this.versionDirs(dir)).map(String);
      if (selected.length === 0) {
        throw new Error(`${name}: no version directories (positive integers, e.g. ${name}/1/model.onnx)`);
      }
    } catch (e) {
      entry.error = this.withinRepository((e as Error).message);
      const serving = this.servingVersions(entry).length > 0;
      throw badRequest(
        `model '${name}' failed to load: ${entry.error}${serving ? '; the loaded versions keep serving' : ''}`,
      );
    }
    entry.error = undefined;
    entry.config = config;
    entry.labels = labels;

    const failures: string[] = [];
    const retiring: Promise<void>[] = [];
    for (const version of selected) {
      let slot = entry.slots.get(version);
      if (!slot) entry.slots.set(version, (slot = { state: 'LOADING', reason: 'loading' }));
      if (!slot.serving) Object.assign(slot, { state: 'LOADING', reason: 'loading' });
      try {
        const loaded = await this.loadVersion(name, version, join(dir, version, 'model.onnx'), config);
        const previous = slot.serving;
        Object.assign(slot, { serving: loaded, state: 'READY', reason: '' });
        if (previous) retiring.push(previous.close());
      } catch (e) {
        const message = this.withinRepository((e as Error).message);
        failures.push(`version ${version}: ${message}`);
        if (slot.serving) {
          slot.reason = `reload failed, still serving the previous load: ${message}`;
        } else {
          Object.assign(slot, { state: 'UNAVAILABLE', reason: message });
        }
      }
    }
    for (const [version, slot] of entry.slots) {
      if (!selected.includes(version))
        retiring.push(this.retire(slot, 'unloaded: not selected by version_policy'));
    }
    await Promise.all(retiring);
    if (failures.length > 0) throw badRequest(`model '${name}' failed to load ${failures.join('; ')}`);
    this.logger.info({ model: name, versions: selected }, 'model loaded');
  }

  private async retire(slot: VersionSlot, reason: string): Promise<void> {
    const serving = slot.serving;
    if (!serving) {
      if (slot.state !== 'UNAVAILABLE') Object.assign(slot, { state: 'UNAVAILABLE', reason });
      return;
    }
    // Out of routing first, so that no new request reaches the draining queue.
    Object.assign(slot, { serving: undefined, state: 'UNLOADING', reason: 'draining queued requests' });
    await serving.close();
    Object.assign(slot, { state: 'UNAVAILABLE', reason });
  }

  /** The newest serving version without sorting: this runs for every unversioned request. */
  private latestServing(entry: ModelEntry): LoadedVersion | undefined {
    let latest: LoadedVersion | undefined;
    let newest = -Infinity;
    for (const [version, slot] of entry.slots) {
      if (slot.serving && Number(version) > newest) {
        newest = Number(version);
        latest = slot.serving;
      }
    }
    return latest;
  }

  private servingVersions(entry: ModelEntry): LoadedVersion[] {
    return [...entry.slots.entries()]
      .filter(([, s]) => s.serving)
      .sort((a, b) => Number(a[0]) - Number(b[0]))
      .map(([, s]) => s.serving!);
  }

  private withinRepository(message: string): string {
    return message.split(this.rootPrefix).join('');
  }

  private describe(slot: VersionSlot): string {
    return slot.reason ? `${slot.state} (${slot.reason})` : slot.state;
  }

  private versionDirs(dir: string): number[] {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => parseVersionDir(d.name))
      .filter((v): v is number => v !== undefined);
  }

  private isModelDir(name: string): boolean {
    return (
      /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(name) && existsSync(join(this.root, name, 'config.json'))
    );
  }

  private entry(name: string): ModelEntry {
    let entry = this.models.get(name);
    if (!entry) {
      entry = { name, slots: new Map(), wanted: true, queue: Promise.resolve() };
      this.models.set(name, entry);
    }
    return entry;
  }

  private serialised<T>(entry: ModelEntry, op: () => Promise<T>): Promise<T> {
    const run = entry.queue.then(op, op);
    entry.queue = run.catch(() => undefined);
    return run;
  }
}
