import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyAuth, AuthConfigError, presentedKey } from '../src/guards/auth';

const sha = (k: string) => createHash('sha256').update(k).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'auth-'));
function keysFile(content: unknown): string {
  const p = join(dir, `keys-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

describe('API key auth', () => {
  const file = keysFile([
    { name: 'client', sha256: sha('client-secret-1'), scopes: ['infer'], rateLimit: { rps: 5, burst: 10 } },
    { name: 'ops', sha256: sha('ops-secret-2').toUpperCase(), scopes: ['infer', 'admin'] },
  ]);
  const auth = ApiKeyAuth.fromEnv({ API_KEYS_FILE: file })!;

  it('accepts a Bearer key or x-api-key and returns the named principal', () => {
    const a = auth.authenticate({ authorization: 'Bearer client-secret-1' }, 'infer');
    expect(a).toMatchObject({ ok: true, principal: { name: 'client', rateLimit: { rps: 5, burst: 10 } } });
    expect(auth.authenticate({ 'x-api-key': 'ops-secret-2' }, 'admin')).toMatchObject({ ok: true });
    expect(auth.authenticate({ authorization: 'bearer   ops-secret-2 ' }, 'admin')).toMatchObject({
      ok: true,
    });
  });

  it('answers 401 for a missing or wrong key and 403 for a missing scope', () => {
    expect(auth.authenticate({}, 'infer')).toMatchObject({
      ok: false,
      status: 401,
      message: /missing API key/,
    });
    expect(auth.authenticate({ 'x-api-key': 'nope' }, 'infer')).toMatchObject({ ok: false, status: 401 });
    expect(auth.authenticate({ authorization: 'Bearer client-secret-1' }, 'admin')).toMatchObject({
      ok: false,
      status: 403,
      message: 'API key "client" lacks the "admin" scope',
    });
  });

  it.each([
    ['Basic scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['empty bearer', { authorization: 'Bearer ' }],
    ['two tokens', { authorization: 'Bearer a b' }],
    ['control bytes', { authorization: 'Bearer \u0000\u0001abc' }],
    ['non-ASCII', { authorization: 'Bearer ключ' }],
    ['huge', { authorization: `Bearer ${'x'.repeat(10_000)}` }],
    ['empty x-api-key', { 'x-api-key': '' }],
    ['duplicated x-api-key (joined by node)', { 'x-api-key': 'client-secret-1, ops-secret-2' }],
    ['array header', { 'x-api-key': ['', 'x'] }],
  ])('answers garbage (%s) with a clean 401 that does not echo it', (_n, headers) => {
    const r = auth.authenticate(headers, 'infer');
    expect(r).toMatchObject({ ok: false, status: 401 });
    const message = (r as { message: string }).message;
    expect(message).not.toContain('dXNlcjpwYXNz');
    expect(message).not.toContain('client-secret-1');
    expect(message.length).toBeLessThan(120);
  });

  it('falls back to x-api-key when Authorization is not a bearer token', () => {
    expect(
      auth.authenticate({ authorization: 'Basic abc', 'x-api-key': 'client-secret-1' }, 'infer'),
    ).toMatchObject({
      ok: true,
    });
  });

  it('gives API_KEYS keys every scope and never names a key by its value', () => {
    const list = ApiKeyAuth.fromEnv({ API_KEYS: ' alpha-key , beta-key,' })!;
    expect(list.size).toBe(2);
    const r = list.authenticate({ authorization: 'Bearer beta-key' }, 'admin');
    expect(r).toMatchObject({ ok: true, principal: { name: 'key-2' } });
  });

  it('is off when neither variable is set', () => {
    expect(ApiKeyAuth.fromEnv({})).toBeUndefined();
    expect(ApiKeyAuth.fromEnv({ API_KEYS: '  ' })).toBeUndefined();
  });

  it.each([
    ['both set', { API_KEYS: 'a', API_KEYS_FILE: file }, /either API_KEYS or API_KEYS_FILE/],
    ['an empty list', { API_KEYS: ' , ' }, /API_KEYS: expected a comma-separated list/],
    ['a key with spaces', { API_KEYS: 'good,has space' }, /key #2 must be/],
    ['a missing file', { API_KEYS_FILE: join(dir, 'absent.json') }, /cannot read .*ENOENT/],
    ['invalid JSON', { API_KEYS_FILE: keysFile('{nope') }, /is not valid JSON/],
    [
      'a bad digest',
      { API_KEYS_FILE: keysFile([{ name: 'a', sha256: 'abc', scopes: ['infer'] }]) },
      /0\.sha256: must be the hex SHA-256/,
    ],
    [
      'an unknown scope',
      { API_KEYS_FILE: keysFile([{ name: 'a', sha256: sha('k'), scopes: ['root'] }]) },
      /0\.scopes\.0/,
    ],
    [
      'a duplicate name',
      {
        API_KEYS_FILE: keysFile([
          { name: 'a', sha256: sha('k'), scopes: ['infer'] },
          { name: 'a', sha256: sha('j'), scopes: ['infer'] },
        ]),
      },
      /duplicate key name "a"/,
    ],
    ['an empty file', { API_KEYS_FILE: keysFile([]) }, /at least one key/],
  ])('rejects %s with a message naming the problem', (_n, env, message) => {
    expect(() => ApiKeyAuth.fromEnv(env)).toThrow(AuthConfigError);
    expect(() => ApiKeyAuth.fromEnv(env)).toThrow(message);
  });

  it('never puts a configured key into a config error', () => {
    try {
      ApiKeyAuth.fromEnv({ API_KEYS: 'secret-value-1,bad key' });
      throw new Error('expected a throw');
    } catch (err) {
      expect((err as Error).message).not.toContain('secret-value-1');
      expect((err as Error).message).not.toContain('bad key');
    }
  });

  it('extracts the key the way clients send it', () => {
    expect(presentedKey({ authorization: 'Bearer abc' })).toEqual({ key: 'abc' });
    expect(presentedKey({ 'x-api-key': ' abc ' })).toEqual({ key: 'abc' });
    expect(presentedKey({})).toHaveProperty('error');
  });
});
