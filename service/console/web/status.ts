import type { ConsoleStatus } from '../../src/console/status-document';

export type { ConsoleStatus, PointField, VersionStatus } from '../../src/console/status-document';
export type Value = number | null;

export async function fetchStatus(sinceMs?: number): Promise<ConsoleStatus> {
  const url = sinceMs === undefined ? '/v2/console/status' : `/v2/console/status?since=${sinceMs}`;
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`status answered HTTP ${res.status}`);
  return (await res.json()) as ConsoleStatus;
}
