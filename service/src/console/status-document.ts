/**
 * GET /v2/console/status, as a type. Imported by the collector that writes it and, type only, by
 * the page that reads it (service/console/web), so this module and what it imports stay free of
 * Node APIs. Its JSON Schema is ConsoleStatus in service/src/http/openapi.ts.
 */
import type { BreakerState } from './metrics-snapshot';
import type { Point, PointField } from './series';
import type { TrafficRole } from './traffic-roles';

export type { PointField, TrafficRole };

/** A rollout decision as GET /v2/models/{m}/rollout lists it, without its window evidence. */
export interface RolloutDecision {
  at: string;
  kind: 'start' | 'step' | 'promote' | 'rollback' | 'pause' | 'resume' | 'hold';
  by: 'controller' | 'api';
  version: string;
  weightPct: number;
  reason: string;
}

/** A version's part in its model's rollout. */
export interface VersionRollout {
  role: 'stable' | 'canary';
  scope: 'shared' | 'process';
  state: 'stable' | 'canary' | 'promoted' | 'rolled_back';
  paused: boolean;
  step: number | null;
  steps: number[];
  weightPct: number;
  history: RolloutDecision[];
}

/** GET /v2/models/{m}/experiment as it answers; typed here are the parts the console shows. */
export interface ExperimentStatus {
  metric: string | null;
  variants: {
    variant: string;
    version: string;
    requests: number;
    feedback: number;
    outcome: { metric: string; n: number; value: number; ci95: number[] } | null;
  }[];
  winner: string | null;
  verdict: string;
}

export interface VersionStatus {
  version: string;
  state: string;
  reason: string;
  breaker: BreakerState;
  traffic: TrafficRole[];
  rollout: VersionRollout | null;
  /** Over the last `summarySeconds`; null before two samples exist. */
  recent: (Point & { requests: number }) | null;
}

export interface ConsoleStatus {
  generatedAt: string;
  intervalSeconds: number;
  windowSeconds: number;
  summarySeconds: number;
  health: {
    workers: number;
    redis: 'up' | 'down' | 'not configured';
    /** global: one budget shared through Redis; local: each process admits its share of it. */
    rateLimit: { mode: 'global' | 'local'; processesSharing?: number };
  };
  models: { name: string; versions: VersionStatus[]; experiment: ExperimentStatus | null }[];
  /** One value per interval ending at `t` (ms since the epoch), oldest first. */
  series: {
    t: number[];
    versions: { model: string; version: string; points: Record<PointField, (number | null)[]> }[];
  };
}
