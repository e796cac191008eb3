import type { Engine } from '../engine';
import type { RolloutRoute } from '../rollout/rollout-service';
import { trafficPolicyOf, withRollout } from '../traffic/traffic-router';
import {
  emptyCounters,
  snapshotOf,
  splitVersionKey,
  versionKey,
  type MetricsSnapshot,
  type VersionCounters,
} from './metrics-snapshot';
import { parsePromText } from './prom-text';
import { difference, perField, pointOf, type Point } from './series';
import { rolloutParts, type RolloutAnswer } from './rollout-parts';
import type { ConsoleStatus, ExperimentStatus, VersionRollout, VersionStatus } from './status-document';
import { trafficRoles, type TrafficRole } from './traffic-roles';

export interface StatusCollectorOptions {
  /** /metrics as GET /metrics answers it: this process, or every cluster worker aggregated. */
  metricsText(): Promise<string>;
  engine: Pick<Engine, 'index' | 'modelConfig' | 'servingVersion'>;
  /**
   * The rollout service of this process: with WORKERS > 1 and no Redis each worker has its own
   * rollout state, and the status shows the answering worker's.
   */
  rollouts?: {
    status(model: string): Promise<RolloutAnswer>;
    route(model: string): RolloutRoute | undefined;
  };
  /** GET /v2/models/{m}/experiment, read for models with an A/B split. */
  experiments?: { report(model: string): Promise<ExperimentStatus> };
  intervalMs?: number;
  windowSeconds?: number;
  summarySeconds?: number;
  /** Sampling stops this long after the last status request and resumes with the next one. */
  idleStopMs?: number;
  now?: () => number;
}

interface Sample {
  t: number;
  snapshot: MetricsSnapshot;
  /** The interval ending here, per version key; undefined for the first sample after a pause. */
  points?: Map<string, Point>;
}

const round = (x: number | null) => (x === null ? null : Number(x.toPrecision(4)));

/**
 * Samples the service's own metrics once per interval into a ring of fixed length (the window),
 * so the console's memory does not grow with uptime, and answers GET /v2/console/status from it.
 * It samples only while someone watches: it starts with the first status request and stops after
 * `idleStopMs` without one.
 */
export class StatusCollector {
  private readonly ring: Sample[] = [];
  private readonly intervalMs: number;
  private readonly capacity: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  private lastAsked = 0;

  constructor(private readonly options: StatusCollectorOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.capacity = Math.ceil(((options.windowSeconds ?? 900) * 1000) / this.intervalMs) + 1;
    this.now = options.now ?? Date.now;
  }

  /** The status with the series after `sinceMs` (all of the window when undefined). */
  async status(sinceMs?: number): Promise<ConsoleStatus> {
    this.lastAsked = this.now();
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.intervalMs);
      this.timer.unref();
    }
    if (this.ring.length === 0) await this.sample();
    const names = [...new Set(this.options.engine.index().map((e) => e.name))];
    const [rollouts, experiments] = await Promise.all([
      this.perModel(names, (m) => this.rolloutOf(m)),
      this.perModel(names, (m) => this.experimentOf(m)),
    ]);
    return this.build(rollouts, experiments, sinceMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (this.now() - this.lastAsked > (this.options.idleStopMs ?? 5 * 60_000)) {
      this.stop();
      // A gap follows: the next sample must not spread the pause's counts over one interval.
      this.ring.length = 0;
      return;
    }
    void this.sample();
  }

  /** One sample at a time: a slow cluster scrape skips ticks rather than piling them up. */
  private sample(): Promise<void> {
    this.sampling ??= this.options
      .metricsText()
      .then((text) => this.push(this.now(), snapshotOf(parsePromText(text))))
      .catch(() => undefined)
      .finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  private async perModel<T>(names: string[], read: (model: string) => Promise<T>): Promise<Map<string, T>> {
    return new Map(await Promise.all(names.map(async (m) => [m, await read(m)] as const)));
  }

  /** A model still loading or with a broken config has no rollout to show; its index entry says why. */
  private async rolloutOf(model: string): Promise<Map<string, VersionRollout>> {
    const answer = await this.options.rollouts?.status(model).catch(() => undefined);
    return rolloutParts(answer);
  }

  private async experimentOf(model: string): Promise<ExperimentStatus | null> {
    const { experiments, engine } = this.options;
    if (!experiments || !policyOf(engine, model)?.ab) return null;
    // The whole report, as the experiment API answers it (ExperimentReport in the OpenAPI document).
    return (await experiments.report(model).catch(() => undefined)) ?? null;
  }

  private push(t: number, snapshot: MetricsSnapshot): void {
    const previous = this.ring[this.ring.length - 1];
    let points: Map<string, Point> | undefined;
    if (previous) {
      const seconds = (t - previous.t) / 1000;
      points = new Map();
      for (const [key, counters] of snapshot.versions)
        points.set(key, pointOf(difference(previous.snapshot.versions.get(key), counters), seconds));
    }
    this.ring.push({ t, snapshot, points });
    if (this.ring.length > this.capacity) this.ring.shift();
  }

  private recent(key: string): VersionStatus['recent'] {
    const last = this.ring[this.ring.length - 1];
    const cutoff = last.t - (this.options.summarySeconds ?? 60) * 1000;
    const first = this.ring.find((s) => s.t >= cutoff) ?? last;
    if (first === last) return null;
    // A version with no series yet has served nothing.
    const after: VersionCounters = last.snapshot.versions.get(key) ?? emptyCounters();
    const d = difference(first.snapshot.versions.get(key), after);
    const p = pointOf(d, (last.t - first.t) / 1000);
    return { requests: d.requests, ...perField((f) => round(p[f])) };
  }

  private build(
    rollouts: Map<string, Map<string, VersionRollout>>,
    experiments: Map<string, ExperimentStatus | null>,
    sinceMs?: number,
  ): ConsoleStatus {
    const { engine } = this.options;
    const last = this.ring[this.ring.length - 1];
    const snapshot = last?.snapshot;
    const byModel = new Map<string, VersionStatus[]>();
    const rolesByModel = new Map<string, Map<string, TrafficRole[]>>();
    for (const entry of engine.index()) {
      let roles = rolesByModel.get(entry.name);
      if (!roles) {
        // The router's view: a running rollout's stable and canary replace the config's.
        const policy = withRollout(policyOf(engine, entry.name), this.options.rollouts?.route(entry.name));
        roles = trafficRoles(policy, servingOf(engine, entry.name));
        rolesByModel.set(entry.name, roles);
      }
      const version = entry.version ?? '';
      const key = versionKey(entry.name, version);
      const versions = byModel.get(entry.name) ?? [];
      versions.push({
        version,
        state: entry.state,
        reason: entry.reason,
        breaker: snapshot?.breakers.get(key) ?? 'closed',
        traffic: roles.get(version) ?? [],
        rollout: rollouts.get(entry.name)?.get(version) ?? null,
        recent: last ? this.recent(key) : null,
      });
      byModel.set(entry.name, versions);
    }

    const window = this.ring.filter(
      (s): s is Required<Sample> => s.points !== undefined && (sinceMs === undefined || s.t > sinceMs),
    );
    const keys = new Set(window.flatMap((s) => [...s.points.keys()]));
    const workers = snapshot?.workers ?? 1;
    const redis = snapshot?.redisUp === undefined ? 'not configured' : snapshot.redisUp >= 1 ? 'up' : 'down';
    return {
      generatedAt: new Date(this.now()).toISOString(),
      intervalSeconds: this.intervalMs / 1000,
      windowSeconds: ((this.capacity - 1) * this.intervalMs) / 1000,
      summarySeconds: this.options.summarySeconds ?? 60,
      health: {
        workers,
        redis,
        rateLimit:
          redis === 'up'
            ? { mode: 'global' }
            : // Without Redis each worker process admits burst / WORKERS (service/src/guards/index.ts);
              // with Redis down, its share of the replicas Redis last counted.
              { mode: 'local', ...(redis === 'not configured' && { processesSharing: workers }) },
      },
      models: [...byModel].map(([name, versions]) => ({
        name,
        versions,
        experiment: experiments.get(name) ?? null,
      })),
      series: {
        t: window.map((s) => s.t),
        versions: [...keys].sort().map((key) => ({
          ...splitVersionKey(key),
          points: perField((f) => window.map((s) => round(s.points.get(key)?.[f] ?? null))),
        })),
      },
    };
  }
}

/** A model whose config is not valid (yet) has no policy to show; its index entry says why. */
function policyOf(engine: StatusCollectorOptions['engine'], model: string) {
  try {
    return trafficPolicyOf(engine.modelConfig(model));
  } catch {
    return undefined;
  }
}

function servingOf(engine: StatusCollectorOptions['engine'], model: string) {
  try {
    return engine.servingVersion(model);
  } catch {
    return undefined;
  }
}
