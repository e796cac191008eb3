import { createHash } from 'node:crypto';

/** One entry of the service's API_KEYS_FILE: the key itself never leaves Secrets Manager. */
export interface ApiKeyEntry {
  name: string;
  sha256: string;
  scopes: ('infer' | 'admin')[];
}

export function apiKeysFile(entries: { name: string; key: string; scopes: ApiKeyEntry['scopes'] }[]): string {
  const file: ApiKeyEntry[] = entries.map((e) => ({
    name: e.name,
    sha256: createHash('sha256').update(e.key).digest('hex'),
    scopes: e.scopes,
  }));
  return JSON.stringify(file);
}
