import { apiKey } from './actions';
import type { ConsoleStatus } from '../../src/console/status-document';

export type { ConsoleStatus, PointField, VersionStatus } from '../../src/console/status-document';
export type Value = number | null;

export async function fetchStatus(sinceMs?: number): Promise<ConsoleStatus> {
  const url = sinceMs === undefined ? '/v2/console/status' : `/v2/console/status?since=${sinceMs}`;
  const key = apiKey.get();
  const res = await fetch(url, {
    headers: { accept: 'application/json', ...(key && { authorization: `Bearer ${key}` }) },
  });
  if (res.status === 401 || res.status === 403) {
    throw new Error(
      `not authorised (${res.status}): with auth on, the status needs an API key with the infer or admin scope; enter it under “Admin API key”`,
    );
  }
  if (!res.ok) throw new Error(`status answered HTTP ${res.status}`);
  return (await res.json()) as ConsoleStatus;
}
