import { METRICS } from '@ml-platform/contract/names';
import type { Logger } from 'pino';
import type { Counter, Gauge, Registry } from 'prom-client';
import { ServiceError, badRequest } from '../core/errors';
import type { Engine } from '../engine';
import { defineCounter, defineGauge } from '../observability/metrics';
import type { Observation } from '../pipeline/phases';
import type { RedisConnection } from '../redis/connection';
import type { VersionScores } from '../drift/version-scores';
import type { ModelConfig } from '../repository/model-config';
import type { ShadowAgreement } from '../traffic/shadow-agreement';
import {
  TransitionError,
  initialState,
  judge,
  promote,
  rollback,
  setPaused,
  start,
  windowOf,
  type Decision,
  type RolloutPolicy,
  type RolloutState,
} from './controller';
import { rolloutPolicyOf } from './policy';
import { RedisRolloutStore } from './redis-store';
import { MemoryRolloutStore, type Arm, type PendingCounts, type RolloutStore } from './store';
import { addSample, emptyArm, type CanarySignals, type WindowReport } from './window';

export interface RolloutServiceDeps {
  engine: Pick<Engine, 'index' | 'modelConfig' | 'metadata' | 'modelReady'>;
  registry: Registry;
  logger: Logger;
  /** Shares state and window counts with every replica; undefined: per-process state. */
  redis?: RedisConnection;
  /** Wall-clock ms: windows are aligned to it so every replica counts into the same one. */
  now?: () => number;
  /** How often counts are flushed and the state refreshed and judged. */
  tickMs?: number;
  /** This process's readings for the optional checks; without them those checks see no evidence. */
  signals?: {
    driftScores: Pick<VersionScores, 'latest'>;
    confidenceShifts: Pick<VersionScores, 'latest'>;
    shadowAgreement: Pick<ShadowAgreement, 'compared'>;
  };
}

/** What the router needs from a rollout: the versions and the live canary weight. */
export interface RolloutRoute {
  stable: string;
  canary?: { version: string; weightPct: number };
}

export const ROLLOUT_ACTIONS = ['start', 'pause', 'resume', 'promote', 'rollback'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

const CONNECT_GRACE_MS = 5000;

const PHASE_CODE = { stable: 0, canary: 1, promoted: 2, rolled_back: 3 } as const;
const PER_PROCESS_NOTE =
  'rollout state is per process: each replica judges only its own traffic and keeps its own state';

/**
 * The adapter around the pure controller: counts canary and stable answers (an observe hook), and
 * on a timer flushes the counts, refreshes each model's state from the store, starts rollouts of
 * newly published versions and judges finished windows. The router reads the live weights from the
 * cached state synchronously.
 *
 * With Redis, state and counts are shared. While Redis is unreachable each process carries on with
 * its last known state on its own counts, but may only roll back (never step up or promote); when
 * Redis returns the shared state wins, except that a rollback taken meanwhile is written to it.
 */
export class RolloutService {
  private readonly states = new Map<string, RolloutState>();
  private pending = new Map<string, PendingCounts>();
  private readonly local = new MemoryRolloutStore();
  private readonly remote?: RedisRolloutStore;
  private degraded = false;
  private everUp = false;
  private readonly startedAt: number;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private readonly stateGauge: Gauge<'model' | 'version'>;
  private readonly weightGauge: Gauge<'model' | 'version'>;
  private readonly decisions: Counter<'model' | 'kind'>;
  private readonly labelled = new Map<string, string[]>();

  constructor(private readonly deps: RolloutServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.startedAt = this.now();
    if (deps.redis) {
      this.remote = new RedisRolloutStore(deps.redis, (model) =>
        Math.ceil((this.policy(model).windowMs * 10) / 1000),
      );
    } else {
      deps.logger.info(`${PER_PROCESS_NOTE} (no REDIS_URL)`);
    }
    this.stateGauge = defineGauge(deps.registry, {
      ...METRICS.rolloutState,
      help: 'Role of a model version in its rollout: 0 stable, 1 canary, 2 promoted, 3 rolled back.',
      aggregator: 'max',
    });
    this.weightGauge = defineGauge(deps.registry, {
      ...METRICS.rolloutWeight,
      help: 'Share of traffic (%) the rollout sends to a model version.',
      aggregator: 'max',
    });
    this.decisions = defineCounter(deps.registry, {
      ...METRICS.rolloutDecisions,
      help: 'Rollout decisions taken (counted once, by the replica whose write won), by kind.',
    });
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.deps.tickMs ?? 250);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    await this.flush(this.store()).catch(() => undefined);
  }

  get scope(): 'shared' | 'process' {
    return this.remote && !this.degraded ? 'shared' : 'process';
  }

  /** The router's override of a model's stable and canary, while a rollout has decided them. */
  route(model: string): RolloutRoute | undefined {
    const s = this.states.get(model);
    if (!s || s.phase === 'stable') return undefined;
    return {
      stable: s.stable,
      canary:
        s.phase === 'canary' && s.canary !== undefined
          ? { version: s.canary, weightPct: s.weightPct }
          : undefined,
    };
  }

  /** The observe hook: a canary or stable answer of a running rollout, counted into its window. */
  readonly observe = (o: Observation): void => {
    const s = this.states.get(o.model);
    if (!s || s.phase !== 'canary' || !o.route) return;
    const arm: Arm | undefined =
      o.route.variant === 'canary' && o.route.version === s.canary
        ? 'canary'
        : o.route.variant === 'stable' && o.route.version === s.stable
          ? 'stable'
          : undefined;
    // Client errors and aborted requests say nothing about the version.
    if (!arm || (o.status >= 400 && o.status < 500)) return;
    // A version that answered only through the fallback chain failed, whatever the client saw.
    const failed = o.status >= 500 || (o.servedBy !== undefined && o.servedBy !== 'primary');
    const window = windowOf(this.now(), this.policy(o.model).windowMs);
    const key = `${o.model}\u0000${s.id}\u0000${window}\u0000${arm}`;
    let counts = this.pending.get(key);
    if (!counts) {
      counts = { model: o.model, rolloutId: s.id, window, arm, stats: emptyArm() };
      this.pending.set(key, counts);
    }
    addSample(counts.stats, o.seconds * 1000, failed);
  };

  /** GET /v2/models/{m}/rollout. */
  async status(model: string) {
    const policy = this.policy(model);
    const store = this.store();
    const state = await this.read(store, model);
    const current =
      state && state.phase === 'canary'
        ? await store.window(model, state.id, windowOf(this.now(), policy.windowMs)).catch(() => undefined)
        : undefined;
    const canaryWeight = state?.phase === 'canary' ? state.weightPct : 0;
    return {
      model,
      scope: this.scope,
      ...(this.scope === 'process' && { note: PER_PROCESS_NOTE }),
      state: state?.phase ?? 'stable',
      paused: state?.paused ?? false,
      versions: { stable: state?.stable ?? null, canary: state?.canary ?? null },
      weights: { stable: 100 - canaryWeight, canary: canaryWeight },
      step: state?.phase === 'canary' ? state.step : null,
      healthyWindows: state?.healthyWindows ?? 0,
      waiting: state?.waiting ?? null,
      policy: {
        steps: policy.steps,
        windowSeconds: policy.windowMs / 1000,
        minRequests: policy.minRequests,
        healthyWindows: policy.healthyWindows,
        errorMargin: policy.errorMargin,
        alpha: policy.alpha,
        checks: policy.checks,
        p99LatencyMs: policy.p99LatencyMs ?? null,
        driftThreshold: policy.driftThreshold ?? null,
        minShadowAgreement: policy.minShadowAgreement,
        minShadowRows: policy.minShadowRows,
        autoStart: policy.autoStart,
      },
      currentWindow: current && {
        stable: { requests: current.stable.requests, errors: current.stable.errors },
        canary: { requests: current.canary.requests, errors: current.canary.errors },
      },
      lastWindow: state?.lastWindow ?? null,
      history: state?.history ?? [],
    };
  }

  /** POST /v2/models/{m}/rollout: validates the body, applies the action with compare-and-set. */
  async act(model: string, body: unknown) {
    const { action, version } = parseAction(body);
    const policy = this.policy(model);
    if (action === 'start') {
      if (!this.deps.engine.modelReady(model, version)) {
        throw new ServiceError(409, `version ${version} of '${model}' is not ready; load it first`);
      }
    }
    await this.transition(
      model,
      (state) => {
        const now = this.now();
        switch (action) {
          case 'start':
            return start(state, version!, policy, now, 'api');
          case 'pause':
            return setPaused(state, true, now, policy);
          case 'resume':
            return setPaused(state, false, now, policy);
          case 'promote':
            return promote(state, now, 'api', 'promoted by hand');
          case 'rollback':
            return rollback(state, now, 'api', 'rolled back by hand');
        }
      },
      version,
    );
    return this.status(model);
  }

  /** Per config object: the observe hook asks on every counted answer, and a reload brings a new one. */
  private readonly policies = new WeakMap<ModelConfig, RolloutPolicy>();

  private policy(model: string): RolloutPolicy {
    const config = this.deps.engine.modelConfig(model);
    let policy = this.policies.get(config);
    if (!policy) this.policies.set(config, (policy = rolloutPolicyOf(config)));
    return policy;
  }

  private store(): RolloutStore {
    return this.remote && !this.degraded ? this.remote : this.local;
  }

  private async read(store: RolloutStore, model: string): Promise<RolloutState | undefined> {
    return (await store.load(model).catch(() => undefined)) ?? this.states.get(model);
  }

  private async transition(
    model: string,
    apply: (state: RolloutState) => { state: RolloutState; decision?: Decision },
    canary?: string,
  ): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const store = this.store();
      let current: RolloutState | undefined;
      try {
        current = await store.load(model);
      } catch (err) {
        // Redis went away: the action applies to this process's state, as the status then says.
        if (store === this.local) throw err;
        this.enterDegraded((err as Error).message);
        continue;
      }
      const state = current ?? initialState(model, this.defaultStable(model, canary));
      let next: { state: RolloutState; decision?: Decision };
      try {
        next = apply(state);
      } catch (err) {
        if (err instanceof TransitionError) throw new ServiceError(409, err.message);
        throw err;
      }
      if (await store.compareAndSet(model, current?.revision ?? -1, next.state)) {
        this.adopt(model, next.state);
        if (next.decision) this.announce(model, next.decision);
        return;
      }
    }
    throw new ServiceError(409, `the rollout of '${model}' changed concurrently; retry`);
  }

  /** The version stable is compared with: the config's traffic.stable, else the newest other ready one. */
  private defaultStable(model: string, canary?: string): string {
    const configured = this.deps.engine.modelConfig(model).traffic?.stable;
    if (configured) return configured;
    const others = this.readyVersions(model).filter((v) => v !== canary);
    if (others.length === 0)
      throw new ServiceError(409, `'${model}' has no other ready version to compare with`);
    return others[others.length - 1];
  }

  private readyVersions(model: string): string[] {
    try {
      return [...this.deps.engine.metadata(model).versions].sort((a, b) => Number(a) - Number(b));
    } catch {
      return [];
    }
  }

  private models(): string[] {
    return [...new Set(this.deps.engine.index().map((e) => e.name))];
  }

  /** One timer turn; never two at once. */
  tick(): Promise<void> {
    this.ticking ??= this.runTick().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async runTick(): Promise<void> {
    if (!(await this.checkRedis())) return;
    for (let attempt = 0; attempt < 2; attempt++) {
      const store = this.store();
      try {
        await this.flush(store);
        for (const model of this.models()) {
          try {
            await this.tickModel(store, model);
          } catch (err) {
            // The engine's answer for a model still loading or failed to load: nothing to judge yet.
            if (!(err instanceof ServiceError)) throw err;
          }
        }
        return;
      } catch (err) {
        if (store === this.local) {
          this.deps.logger.error({ err }, 'rollout tick failed');
          return;
        }
        this.enterDegraded((err as Error).message);
      }
    }
  }

  private async flush(store: RolloutStore): Promise<void> {
    const counts = [...this.pending.values()];
    this.pending = new Map();
    try {
      await store.add(counts);
    } catch (err) {
      // Not lost: the per-process store carries them while Redis is away.
      await this.local.add(counts);
      throw err;
    }
  }

  private async tickModel(store: RolloutStore, model: string): Promise<void> {
    const policy = this.policy(model);
    let state = await store.load(model);
    if (policy.autoStart) state = await this.autoStart(store, model, state, policy);
    if (state?.phase === 'canary' && !state.paused) {
      const now = this.now();
      // A replica's counts reach the store within a flush or two of the window's end.
      const last = windowOf(now - 2 * (this.deps.tickMs ?? 250), policy.windowMs) - 1;
      if (last > state.judgedWindow) {
        const arms = await store.window(model, state.id, last);
        const judged = judge(
          state,
          last,
          arms.stable,
          arms.canary,
          policy,
          now,
          store.scope === 'shared' || !this.remote,
          this.signals(model, state),
        );
        if (judged && (await store.compareAndSet(model, state.revision, judged.state))) {
          state = judged.state;
          if (judged.decision) this.announce(model, judged.decision);
        } else {
          state = await store.load(model);
        }
      }
    }
    if (state) this.adopt(model, state);
  }

  /**
   * The canary's drift score and confidence shift and, while the config shadows the canary version, its agreement with
   * stable. Both are this process's own readings: with Redis every replica judges on its own.
   */
  private signals(model: string, state: RolloutState): CanarySignals {
    const canary = state.canary;
    const signals = this.deps.signals;
    if (canary === undefined || !signals) return {};
    const shadowed = this.deps.engine.modelConfig(model).traffic?.shadow?.version === canary;
    return {
      driftScore: signals.driftScores.latest(model, canary),
      confidenceShift: signals.confidenceShifts.latest(model, canary),
      shadow: shadowed ? signals.shadowAgreement.compared(model, state.stable, canary) : undefined,
    };
  }

  /** A newer version than stable (and not the one last tried) starts a rollout, once. */
  private async autoStart(
    store: RolloutStore,
    model: string,
    state: RolloutState | undefined,
    policy: RolloutPolicy,
  ): Promise<RolloutState | undefined> {
    const versions = this.readyVersions(model);
    const newest = versions[versions.length - 1];
    if (newest === undefined) return state;
    if (!state) {
      const first = initialState(model, this.deps.engine.modelConfig(model).traffic?.stable ?? newest);
      return (await store.compareAndSet(model, -1, first)) ? first : store.load(model);
    }
    const fresh = Number(newest) > Number(state.stable) && newest !== state.canary;
    if (!fresh || state.phase === 'canary' || store.scope !== this.remoteScope()) return state;
    const next = start(state, newest, policy, this.now(), 'controller');
    if (!(await store.compareAndSet(model, state.revision, next.state))) return store.load(model);
    this.announce(model, next.decision);
    return next.state;
  }

  /** Auto-start is an advance: only with the state every replica shares (or no Redis at all). */
  private remoteScope(): 'shared' | 'process' {
    return this.remote ? 'shared' : 'process';
  }

  private enterDegraded(reason: string): void {
    if (this.degraded) return;
    this.degraded = true;
    for (const state of this.states.values()) this.local.adopt(state);
    this.deps.logger.warn(
      { reason },
      `redis unreachable: ${PER_PROCESS_NOTE} until it returns (rollbacks only, no promotion)`,
    );
  }

  /** False while Redis is still connecting at start-up: nothing to judge or route on yet. */
  private async checkRedis(): Promise<boolean> {
    if (!this.remote) return true;
    const up = this.deps.redis!.isUp();
    this.everUp ||= up;
    // Connecting at start-up is not an outage: give it a moment before going per-process.
    if (!up && !this.everUp && this.now() - this.startedAt < CONNECT_GRACE_MS) return false;
    if (!up) {
      this.enterDegraded('not connected');
      return true;
    }
    if (!this.degraded) return true;
    try {
      for (const model of this.models()) await this.reconcile(model);
      this.degraded = false;
      this.deps.logger.info('redis back: rollout state is shared by every replica again');
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'rollout state not reconciled with redis yet');
    }
    return true;
  }

  /** After an outage: the shared state wins, but a rollback this process took meanwhile is kept. */
  private async reconcile(model: string): Promise<void> {
    const remote = this.remote!;
    const mine = await this.local.load(model);
    const shared = await remote.load(model);
    if (!mine) return;
    if (!shared) {
      await remote.compareAndSet(model, -1, mine);
      return;
    }
    const rolledBackHere =
      mine.phase === 'rolled_back' &&
      shared.phase === 'canary' &&
      shared.id === mine.id &&
      shared.canary === mine.canary;
    if (rolledBackHere) {
      const last = mine.history[mine.history.length - 1];
      const next = rollback(
        shared,
        this.now(),
        'controller',
        `during the redis outage: ${last?.reason ?? 'rolled back'}`,
        last?.evidence,
      );
      if (await remote.compareAndSet(model, shared.revision, next.state)) this.announce(model, next.decision);
    }
  }

  private adopt(model: string, state: RolloutState): void {
    this.states.set(model, state);
    for (const version of this.labelled.get(model) ?? []) {
      this.stateGauge.remove({ model, version });
      this.weightGauge.remove({ model, version });
    }
    const canaryWeight = state.phase === 'canary' ? state.weightPct : 0;
    const labels = [state.stable];
    this.stateGauge.set(
      { model, version: state.stable },
      state.phase === 'promoted' ? PHASE_CODE.promoted : 0,
    );
    this.weightGauge.set({ model, version: state.stable }, 100 - canaryWeight);
    if (state.canary !== undefined && state.canary !== state.stable) {
      labels.push(state.canary);
      this.stateGauge.set({ model, version: state.canary }, PHASE_CODE[state.phase]);
      this.weightGauge.set({ model, version: state.canary }, canaryWeight);
    }
    this.labelled.set(model, labels);
  }

  private announce(model: string, decision: Decision): void {
    this.decisions.inc({ model, kind: decision.kind });
    const fields = {
      model,
      decision: decision.kind,
      version: decision.version,
      weightPct: decision.weightPct,
      by: decision.by,
      reason: decision.reason,
      evidence: decision.evidence as WindowReport | undefined,
    };
    if (decision.kind === 'rollback') this.deps.logger.warn(fields, 'rollout rolled back');
    else this.deps.logger.info(fields, `rollout ${decision.kind}`);
  }
}

function parseAction(body: unknown): { action: RolloutAction; version?: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('the body must be a JSON object like {"action": "start", "version": "2"}');
  }
  const { action, version } = body as { action?: unknown; version?: unknown };
  if (typeof action !== 'string' || !(ROLLOUT_ACTIONS as readonly string[]).includes(action)) {
    throw badRequest(`action must be one of ${ROLLOUT_ACTIONS.join(', ')}, got ${JSON.stringify(action)}`);
  }
  if (version !== undefined && (typeof version !== 'string' || version === '')) {
    throw badRequest(`version must be a non-empty string, got ${JSON.stringify(version)}`);
  }
  if (action === 'start' && version === undefined) throw badRequest('version is required to start a rollout');
  return { action: action as RolloutAction, version };
}
