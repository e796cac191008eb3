import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describeUnless } from './describe-unless';
import { withFreePorts } from './free-port';

/**
 * A real redis-server on a free loopback port for tests that exercise the Redis paths. Persistence
 * is off so nothing is written to disk; `stop()`/`start()` restart it on the same port so a client's
 * reconnect logic is what the test exercises.
 */
export const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

/** Why Redis tests cannot run here, or undefined when they can. */
export function redisUnavailableReason(): string | undefined {
  if (!existsSync(REDIS_SERVER_BIN))
    return `${REDIS_SERVER_BIN} is not installed (apt-get install redis-server)`;
  const probe = spawnSync(REDIS_SERVER_BIN, ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0)
    return `${REDIS_SERVER_BIN} --version failed: ${probe.stderr || probe.error?.message}`;
  return undefined;
}

/** `describe` when redis-server is available, otherwise `describe.skip` with the reason printed once. */
export function describeWithRedis(name: string, fn: () => void): void {
  describeUnless(redisUnavailableReason(), name, fn);
}

export interface RedisServerOptions {
  /** `requirepass`; the URL then carries it. */
  password?: string;
  /** Serve TLS only (`rediss://`), as ElastiCache in-transit encryption does. */
  tls?: { certFile: string; keyFile: string };
  startTimeoutMs?: number;
  /**
   * Persist to an append-only file in this directory, fsynced on every write, so that data
   * survives a SIGKILL and the restart loads it (as a replicated or persistent store would).
   */
  persistDir?: string;
}

export class RedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {}

  /** On a free port, or another one when that was taken before redis-server bound it. */
  static start(options: RedisServerOptions = {}, pickPort?: () => Promise<number>): Promise<RedisServer> {
    return withFreePorts(
      1,
      async ([port]) => {
        const server = new RedisServer(port, options);
        await server.start();
        return server;
      },
      { pick: pickPort },
    );
  }

  get url(): string {
    const auth = this.options.password ? `:${encodeURIComponent(this.options.password)}@` : '';
    return `${this.options.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const tls = this.options.tls;
    const listen = tls
      ? [
          '--port',
          '0',
          '--tls-port',
          String(this.port),
          '--tls-cert-file',
          tls.certFile,
          '--tls-key-file',
          tls.keyFile,
          '--tls-auth-clients',
          'no',
        ]
      : ['--port', String(this.port)];
    const persist = this.options.persistDir
      ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.options.persistDir]
      : ['--appendonly', 'no'];
    const args = [...listen, '--bind', '127.0.0.1', '--save', '', ...persist];
    if (this.options.password) args.push('--requirepass', this.options.password);
    const child = spawn(REDIS_SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.child = child;
    // Its own log line, not a connection, says this child is up: whatever took the port in the
    // meantime would accept the connection too.
    let output = '';
    const ready = new Promise<boolean>((resolve) => {
      const keep = (d: Buffer) => {
        output = (output + d.toString()).slice(-4000);
        if (output.includes('Ready to accept connections')) resolve(true);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      child.once('exit', () => resolve(false));
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.options.startTimeoutMs ?? 5000);
    });
    const started = await Promise.race([ready, timedOut]);
    clearTimeout(timer);
    if (started) return;
    await this.stop();
    throw new Error(`redis-server did not start on port ${this.port}: ${output.trim() || 'timed out'}`);
  }

  /** SIGKILL, as an outage would: no graceful close for clients. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode === null) child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGSTOP: the socket stays open but nothing answers, like a hung or partitioned server. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}
