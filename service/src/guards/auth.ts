import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** `infer` covers inference and metadata; `admin` covers the repository extension (load, unload, index). */
export const SCOPES = ['infer', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface KeyRateLimit {
  rps: number;
  burst: number;
}

export interface Principal {
  /** A name safe to log and to use as the rate-limit identity; never the key itself. */
  name: string;
  scopes: ReadonlySet<Scope>;
  rateLimit?: KeyRateLimit;
}

export type AuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 403; message: string; principal?: Principal };

/** Bad auth configuration; the message names the variable and field, never a key. */
export class AuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthConfigError';
  }
}

const ApiKeysFileSchema = z.array(
  z
    .object({
      name: z.string().regex(/^[A-Za-z0-9_.:@-]{1,64}$/, 'must be 1-64 letters, digits or _ . : @ -'),
      sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be the hex SHA-256 of the key (64 hex digits)'),
      scopes: z.array(z.enum(SCOPES)).min(1),
      rateLimit: z
        .object({ rps: z.number().positive(), burst: z.number().int().min(1) })
        .strict()
        .optional(),
    })
    .strict(),
);

interface Entry extends Principal {
  digest: Buffer;
}

const MAX_KEY_LENGTH = 512;
// Keys are opaque tokens of visible ASCII; anything else (control bytes, spaces, non-ASCII) is not a key.
const TOKEN = /^[\x21-\x7e]+$/;

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Extracts the presented key, or says why the headers carry none. */
export function presentedKey(headers: {
  authorization?: string | string[];
  'x-api-key'?: string | string[];
}): { key: string } | { error: string } {
  const authorization = firstHeader(headers.authorization);
  const apiKey = firstHeader(headers['x-api-key']);
  if (authorization !== undefined) {
    const m = /^Bearer[ ]+(\S+)[ ]*$/i.exec(authorization);
    if (m && m[1].length <= MAX_KEY_LENGTH && TOKEN.test(m[1])) return { key: m[1] };
    if (apiKey === undefined) return { error: "the Authorization header must be 'Bearer <api key>'" };
  }
  if (apiKey !== undefined) {
    const trimmed = apiKey.trim();
    if (trimmed.length > 0 && trimmed.length <= MAX_KEY_LENGTH && TOKEN.test(trimmed))
      return { key: trimmed };
    return { error: 'the x-api-key header does not hold an API key' };
  }
  return { error: "missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'" };
}

export class ApiKeyAuth {
  private constructor(private readonly entries: readonly Entry[]) {}

  /** From `API_KEYS` (comma-separated, every scope) or `API_KEYS_FILE`; undefined when neither is set (auth off). */
  static fromEnv(env: {
    API_KEYS?: string | readonly string[];
    API_KEYS_FILE?: string;
  }): ApiKeyAuth | undefined {
    const raw = env.API_KEYS;
    const list = typeof raw === 'string' ? (raw.trim() ? raw.split(',') : undefined) : raw;
    const file = env.API_KEYS_FILE?.trim();
    if (list && file) throw new AuthConfigError('set either API_KEYS or API_KEYS_FILE, not both');
    if (list) return ApiKeyAuth.fromList(list);
    if (file) return ApiKeyAuth.fromFile(file);
    return undefined;
  }

  static fromList(list: readonly string[]): ApiKeyAuth {
    const keys = list.map((k) => k.trim()).filter((k) => k.length > 0);
    if (keys.length === 0)
      throw new AuthConfigError('API_KEYS: expected a comma-separated list of keys, got none');
    keys.forEach((k, i) => {
      if (!TOKEN.test(k) || k.length > MAX_KEY_LENGTH)
        throw new AuthConfigError(
          `API_KEYS: key #${i + 1} must be 1-${MAX_KEY_LENGTH} visible ASCII characters without spaces or commas`,
        );
    });
    return new ApiKeyAuth(
      keys.map((k, i) => ({ name: `key-${i + 1}`, scopes: new Set(SCOPES), digest: sha256(k) })),
    );
  }

  static fromFile(path: string): ApiKeyAuth {
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch (err) {
      throw new AuthConfigError(
        `API_KEYS_FILE: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new AuthConfigError(`API_KEYS_FILE: ${path} is not valid JSON`);
    }
    const parsed = ApiKeysFileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue.path.length ? issue.path.join('.') : '(root)';
      throw new AuthConfigError(
        `API_KEYS_FILE: ${at}: ${issue.message} (expected an array of {name, sha256, scopes: ["infer"|"admin"], rateLimit?: {rps, burst}})`,
      );
    }
    if (parsed.data.length === 0) throw new AuthConfigError('API_KEYS_FILE: expected at least one key entry');
    const names = new Set<string>();
    for (const e of parsed.data) {
      if (names.has(e.name)) throw new AuthConfigError(`API_KEYS_FILE: duplicate key name "${e.name}"`);
      names.add(e.name);
    }
    return new ApiKeyAuth(
      parsed.data.map((e) => ({
        name: e.name,
        scopes: new Set(e.scopes),
        rateLimit: e.rateLimit,
        digest: Buffer.from(e.sha256, 'hex'),
      })),
    );
  }

  get size(): number {
    return this.entries.length;
  }

  authenticate(
    headers: { authorization?: string | string[]; 'x-api-key'?: string | string[] },
    scope: Scope,
  ): AuthResult {
    const presented = presentedKey(headers);
    if ('error' in presented) return { ok: false, status: 401, message: presented.error };
    const digest = sha256(presented.key);
    // Compare against every entry, without stopping at a match, so timing says nothing about which matched.
    let match: Entry | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(digest, e.digest) && !match) match = e;
    }
    if (!match) return { ok: false, status: 401, message: 'invalid API key' };
    const principal: Principal = { name: match.name, scopes: match.scopes, rateLimit: match.rateLimit };
    if (!match.scopes.has(scope))
      return {
        ok: false,
        status: 403,
        message: `API key "${match.name}" lacks the "${scope}" scope`,
        principal,
      };
    return { ok: true, principal };
  }
}
