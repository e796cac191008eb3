/**
 * GET /v2/console/status, as a type. Imported by the collector that writes it and, type only, by
 * the page that reads it (service/console/web), so this module and what it imports stay free of
 * Node APIs. Its JSON Schema is ConsoleStatus in service/src/http/openapi.ts.
 */
import type { BreakerState } from './metrics-snapshot';
import type { Point, PointField } from './series';
import type { TrafficRole } from './traffic-roles';

export type { PointField, TrafficRole };

export interface VersionStatus {
  version: string;
  state: string;
  reason: string;
  breaker: BreakerState;
  traffic: TrafficRole[];
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
  models: { name: string; versions: VersionStatus[] }[];
  /** One value per interval ending at `t` (ms since the epoch), oldest first. */
  series: {
    t: number[];
    versions: { model: string; version: string; points: Record<PointField, (number | null)[]> }[];
  };
}
