import { SECRET_ENV, type EnvName } from '@ml-platform/contract/names';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { defaultCacheMemoryBytes } from './memory-limit';

/** GRPC_PORT's value for any free port (for tests and side-by-side runs). */
export const GRPC_EPHEMERAL = 'ephemeral';
const GRPC_PORT_RULE = `must be an integer from 0 to 65535 (0: off), or "${GRPC_EPHEMERAL}"`;

/** Repo root, for the default model repository (`<repo>/models`) whatever the working directory. */
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

const int = (min: number, max: number, error = `must be an integer from ${min} to ${max}`) =>
  z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
const positive = (max: number) => {
  const error = `must be a number above 0 and at most ${max}`;
  return z.coerce.number({ error }).positive({ error }).max(max, { error });
};

/**
 * Every environment variable the service reads, validated once at start-up: exactly the contract's
 * ENV names, its public interface (listed in README.md). Guards (auth, rate limits, Redis) are
 * parsed here too so that a bad value fails at start-up like any other, and the guards only consume
 * the typed result.
 */
const EnvSchema = z.object({
  PORT: int(0, 65535).default(8080),
  /**
   * The Open Inference Protocol over gRPC (service/src/grpc), next to REST. 0 turns it off (unlike
   * PORT, and deployments rely on that), so any free port is asked for by name: the port bound is
   * the "listening" log line's `grpcPort`.
   */
  GRPC_PORT: z
    .union([z.literal(GRPC_EPHEMERAL), int(0, 65535, GRPC_PORT_RULE)], { error: GRPC_PORT_RULE })
    .default(8081),
  HOST: z.string().min(1).default('127.0.0.1'),
  MODEL_REPOSITORY: z
    .string()
    .min(1)
    .default(path.join(REPO_ROOT, 'models'))
    .transform((p) => path.resolve(p))
    .refine((p) => existsSync(p), 'must be an existing directory'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
    .optional(),
  /** The online feature store for /predict's entity features; REDIS_URL when unset. */
  FEATURE_STORE_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
    .optional(),
  /** Bound on /predict's one entity lookup; past it the features take their defaults. */
  FEATURE_LOOKUP_TIMEOUT_MS: int(1, 10_000).default(50),
  /** Comma-separated keys, each with every scope. */
  API_KEYS: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((k) => k.trim())
        .filter((k) => k !== ''),
    )
    .refine((keys) => keys.length > 0, 'must list at least one non-empty key')
    .optional(),
  /** JSON key entries (name, sha256, scopes, rate limit); the guards parse its content. */
  API_KEYS_FILE: z
    .string()
    .min(1)
    .refine((p) => existsSync(p), 'must name an existing file')
    .optional(),
  RATE_LIMIT_RPS: positive(1_000_000).optional(),
  RATE_LIMIT_BURST: int(1, 10_000_000).optional(),
  /** Upper bound on any request's deadline; the OIP `timeout` parameter can only shorten it. */
  REQUEST_TIMEOUT_MS: int(1, 600_000).default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_BODY_BYTES: int(1024, 1024 * 1024 * 1024).default(16 * 1024 * 1024),
  /** 1: one process (onnxruntime uses the cores); >1: that many node:cluster workers. */
  WORKERS: int(1, 64).default(1),
  /**
   * onnxruntime threads each process shares among its models (runtime/session-pool.ts), besides one
   * per extra instance_group instance. Unset: the cores divided among WORKERS, at least 2; set it
   * to the pod's CPU limit where the node has more cores than the pod may use.
   */
  ORT_THREADS: int(1, 256).optional(),
  /** Inference requests worked on at once before new ones are shed with 503 (guards/load-shedder). */
  MAX_IN_FLIGHT: int(1, 1_000_000).default(1024),
  /** Byte budget of the in-process prediction cache tier (guards/prediction-cache); default: memory-limit.ts. */
  CACHE_MEMORY_BYTES: int(0, 64 * 1024 * 1024 * 1024).default(() => defaultCacheMemoryBytes()),
  /** How long SIGTERM waits for queued and in-flight requests before exiting anyway. */
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000),
  /**
   * What the pod costs per hour, set by infra from the node's price and the pod's share of it; the
   * service attributes it to model versions (cost/attribution.ts). 0: costs stay 0.
   */
  POD_COST_PER_HOUR_USD: z.coerce
    .number({ error: 'must be a number of US dollars per hour, 0 or more' })
    .min(0, { error: 'must be a number of US dollars per hour, 0 or more' })
    .max(100_000, { error: 'must be at most 100000' })
    .default(0),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('ml-platform-inference'),
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).default('false'),
} satisfies Record<EnvName, z.ZodType>);

export type ServiceConfig = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const SECRET = new Set<string>(SECRET_ENV);

/** Parses the environment; empty strings count as unset. Throws ConfigError naming variable, value and rule. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const input: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  const parsed = EnvSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const key = String(issue.path[0]);
      const shown = SECRET.has(key) ? '(value hidden)' : JSON.stringify(input[key]);
      return `${key}=${shown}: ${issue.message}`;
    }),
  );
}
