/**
 * The shape of GET /v2/console/status as the page reads it (service/src/console/status-collector.ts
 * writes it; documented in service/src/http/openapi.ts). Declared here, not imported, so the
 * browser bundle carries none of the service's modules.
 */
export type Value = number | null;

export interface TrafficRole {
  variant: string;
  weightPct: number;
}

export interface VersionStatus {
  version: string;
  state: string;
  reason: string;
  breaker: string;
  traffic: TrafficRole[];
  recent: (Record<string, Value> & { requests: number }) | null;
}

export interface ConsoleStatus {
  generatedAt: string;
  intervalSeconds: number;
  windowSeconds: number;
  summarySeconds: number;
  health: {
    workers: number;
    redis: string;
    rateLimit: { mode: 'global' | 'local'; processesSharing?: number };
  };
  models: { name: string; versions: VersionStatus[] }[];
  series: { t: number[]; versions: { model: string; version: string; points: Record<string, Value[]> }[] };
}

export async function fetchStatus(sinceMs?: number): Promise<ConsoleStatus> {
  const url = sinceMs === undefined ? '/v2/console/status' : `/v2/console/status?since=${sinceMs}`;
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`status answered HTTP ${res.status}`);
  return (await res.json()) as ConsoleStatus;
}
