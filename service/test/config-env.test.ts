import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config/env';
import { cgroupMemoryLimit, defaultCacheMemoryBytes } from '../src/config/memory-limit';
import { MAIN, REPO_ROOT } from './http-support';
import { BUNDLED_MODELS } from '../../test/support/model-repo';
import { startServiceProcess, waitReady } from '../../test/support/service-process';

function issuesOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 8080,
      HOST: '127.0.0.1',
      WORKERS: 1,
      LOG_LEVEL: 'info',
      REQUEST_TIMEOUT_MS: 10_000,
    });
    expect(c.MODEL_REPOSITORY).toBe(`${REPO_ROOT}/models`);
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.API_KEYS).toBeUndefined();
  });

  it('parses typed values, treating empty strings as unset', () => {
    const c = loadConfig({
      PORT: '9000',
      API_KEYS: ' a , b ,,',
      RATE_LIMIT_RPS: '12.5',
      RATE_LIMIT_BURST: '40',
      REDIS_URL: 'rediss://:pw@cache.example:6380/0',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      MAX_BODY_BYTES: '',
    });
    expect(c).toMatchObject({ PORT: 9000, API_KEYS: ['a', 'b'], RATE_LIMIT_RPS: 12.5, RATE_LIMIT_BURST: 40 });
    expect(c.MAX_BODY_BYTES).toBe(16 * 1024 * 1024);
  });

  it.each([
    ['PORT', '70000', /^PORT="70000": must be an integer from 0 to 65535$/],
    ['PORT', 'http', /^PORT="http": must be an integer from 0 to 65535$/],
    ['WORKERS', '0', /^WORKERS="0": must be an integer from 1 to 64$/],
    ['RATE_LIMIT_RPS', '-5', /^RATE_LIMIT_RPS="-5": must be a number above 0/],
    ['REQUEST_TIMEOUT_MS', '1.5', /^REQUEST_TIMEOUT_MS="1.5": must be an integer/],
    ['LOG_LEVEL', 'loud', /^LOG_LEVEL="loud": .*"info"/],
    [
      'MODEL_REPOSITORY',
      '/definitely/not/here',
      /^MODEL_REPOSITORY="\/definitely\/not\/here": must be an existing directory$/,
    ],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url', /^OTEL_EXPORTER_OTLP_ENDPOINT="not a url": /],
    ['ORT_THREADS', '0', /^ORT_THREADS="0": must be an integer from 1 to 256$/],
    [
      'GRPC_PORT',
      '70000',
      /^GRPC_PORT="70000": must be an integer from 0 to 65535 \(0: off\), or "ephemeral"$/,
    ],
    ['GRPC_PORT', 'any', /^GRPC_PORT="any": must be an integer from 0 to 65535 \(0: off\), or "ephemeral"$/],
  ])('names %s, its value and the rule when it is %p', (key, value, pattern) => {
    const issues = issuesOf({ [key]: value });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(pattern);
  });

  it('reads GRPC_PORT as a port, 0 (off) or "ephemeral" (any free port)', () => {
    expect(loadConfig({}).GRPC_PORT).toBe(8081);
    expect(loadConfig({ GRPC_PORT: '9001' }).GRPC_PORT).toBe(9001);
    expect(loadConfig({ GRPC_PORT: '0' }).GRPC_PORT).toBe(0);
    expect(loadConfig({ GRPC_PORT: 'ephemeral' }).GRPC_PORT).toBe('ephemeral');
  });

  it('never echoes secret values', () => {
    const issues = issuesOf({ REDIS_URL: 'http://user:hunter2@host', API_KEYS: ' , ' });
    expect(issues.join('\n')).not.toMatch(/hunter2/);
    expect(issues).toEqual([
      expect.stringMatching(/^REDIS_URL=\(value hidden\): must be a redis:\/\/ or rediss:\/\/ URL/),
      expect.stringMatching(/^API_KEYS=\(value hidden\): must list at least one non-empty key/),
    ]);
  });
});

describe('process start-up with a bad environment', () => {
  it('exits 2 with a message naming every bad variable, before listening', () => {
    const run = spawnSync(process.execPath, ['-r', 'tsx/cjs', MAIN], {
      cwd: REPO_ROOT,
      env: { ...process.env, PORT: 'eighty', MAX_BODY_BYTES: '12', REQUEST_TIMEOUT_MS: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('PORT="eighty": must be an integer from 0 to 65535');
    expect(run.stderr).toContain('MAX_BODY_BYTES="12": must be an integer from 1024 to 1073741824');
    expect(run.stdout).not.toContain('listening');
  }, 40_000);

  it('exits 2 with WORKERS=2 when the workers reject the configuration, instead of restarting them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'config-'));
    const keys = path.join(dir, 'keys.json');
    writeFileSync(keys, 'not json');
    try {
      const run = spawnSync(process.execPath, ['-r', 'tsx/cjs', MAIN], {
        cwd: REPO_ROOT,
        env: { ...process.env, PORT: '0', GRPC_PORT: '0', WORKERS: '2', API_KEYS_FILE: keys },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('API_KEYS_FILE');
      expect(run.stdout).toContain('stopping the service');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});

describe('ORT_THREADS', () => {
  const threadsOf = (pid: number) =>
    Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  const threadsWith = async (ortThreads: string) => {
    const svc = await startServiceProcess({ ORT_THREADS: ortThreads, MODEL_REPOSITORY: BUNDLED_MODELS });
    try {
      await waitReady(svc, 60_000);
      return threadsOf(svc.child.pid!);
    } finally {
      await svc.stop();
    }
  };

  it('sets how many onnxruntime threads the process shares among its models', async () => {
    const [two, five] = [await threadsWith('2'), await threadsWith('5')];
    expect(five - two).toBe(3);
  }, 120_000);
});

describe('CACHE_MEMORY_BYTES default from the container memory limit', () => {
  const files = (contents: Record<string, string>) => (file: string) => {
    if (!(file in contents)) throw new Error(`ENOENT: ${file}`);
    return contents[file];
  };

  it('reads cgroup v2, then v1, and treats "max" or a 2^63-ish value as no limit', () => {
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': '536870912\n' }))).toBe(536870912);
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': 'max\n' }))).toBeUndefined();
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '1073741824\n' }))).toBe(
      1073741824,
    );
    expect(
      cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n' })),
    ).toBeUndefined();
    expect(cgroupMemoryLimit(files({}))).toBeUndefined();
  });

  it('takes an eighth of the limit, or 64 MiB without one', () => {
    expect(defaultCacheMemoryBytes(512 * 2 ** 20)).toBe(64 * 2 ** 20);
    expect(defaultCacheMemoryBytes(8 * 2 ** 30)).toBe(2 ** 30);
    expect(defaultCacheMemoryBytes(undefined)).toBe(64 * 2 ** 20);
    expect(loadConfig({ CACHE_MEMORY_BYTES: '1048576' }).CACHE_MEMORY_BYTES).toBe(1048576);
    expect(loadConfig({}).CACHE_MEMORY_BYTES).toBe(defaultCacheMemoryBytes());
  });
});
