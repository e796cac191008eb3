import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { withFreePorts } from './free-port';
import { makeLoopbackCert, opensslUnavailableReason } from './tls-cert';

/**
 * A real kube-apiserver backed by a real etcd, both on free loopback ports with a throw-away data
 * dir. No controller-manager, scheduler or kubelet runs: objects are stored and admitted, nothing is
 * reconciled. `.ci/run` installs etcd-server and builds kube-apiserver (test/kube/build-kube-apiserver.sh).
 */
export const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';
const BUILD_SCRIPT = join(__dirname, '..', 'kube', 'build-kube-apiserver.sh');

/** Where the build script caches kube-apiserver for its pinned version (or KUBE_APISERVER_BIN). */
export function kubeApiserverBin(): string {
  if (process.env.KUBE_APISERVER_BIN) return process.env.KUBE_APISERVER_BIN;
  const r = spawnSync('bash', [BUILD_SCRIPT, '--print-path'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

/** Why a kube-apiserver cannot be started here, or undefined when it can. */
export function kubeApiserverUnavailableReason(): string | undefined {
  if (!existsSync(ETCD_BIN)) return `${ETCD_BIN} is not installed (apt-get install etcd-server)`;
  const bin = kubeApiserverBin();
  if (!bin || !existsSync(bin))
    return 'kube-apiserver is not built (run bash test/kube/build-kube-apiserver.sh)';
  return opensslUnavailableReason();
}

export interface KubeResponse {
  status: number;
  body: string;
  /** `Warning` headers: deprecations and Pod Security findings the server did not enforce. */
  warnings: string[];
}

/** A child process whose last output is kept for the error when it fails to start. */
class Daemon {
  private output = '';
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (d: Buffer) => (this.output = (this.output + d.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // A test run that dies without afterAll must not leave etcd or the API server behind.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        process.off('exit', killOnExit);
        resolve();
      }),
    );
  }

  static spawn(bin: string, args: string[]): Daemon {
    return new Daemon(bin.split('/').pop() ?? bin, spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Polls `ready` until it is true; throws with the process's last output when it exits or times out. */
  async waitUntil(ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.child.exitCode === null) {
      if (await ready().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    const why =
      this.child.exitCode === null ? `not ready after ${timeoutMs} ms` : `exited ${this.child.exitCode}`;
    throw new Error(`${this.name} ${why}:\n${this.output.trim()}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(killer);
  }
}

function httpGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export interface KubeApiserverOptions {
  /** For etcd and kube-apiserver each; the build is cached, but start-up is slow on a loaded machine. */
  startTimeoutMs?: number;
}

export class KubeApiserver {
  private constructor(
    private readonly dir: string,
    private readonly daemons: Daemon[],
    readonly port: number,
    private readonly ca: Buffer,
    private readonly token: string,
  ) {}

  /** On free ports, or other ones when one was taken before etcd or kube-apiserver bound it. */
  static start(options: KubeApiserverOptions = {}): Promise<KubeApiserver> {
    return withFreePorts(3, (ports) => KubeApiserver.startOn(ports, options));
  }

  private static async startOn(
    [clientPort, peerPort, apiPort]: number[],
    options: KubeApiserverOptions,
  ): Promise<KubeApiserver> {
    const timeoutMs = options.startTimeoutMs ?? 120_000;
    const cert = makeLoopbackCert();
    const dir = cert.dir;
    const daemons: Daemon[] = [];
    try {
      const etcd = Daemon.spawn(ETCD_BIN, [
        '--name=test',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${clientPort}`,
        `--advertise-client-urls=http://127.0.0.1:${clientPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=test=http://127.0.0.1:${peerPort}`,
        '--logger=zap',
        '--log-level=error',
      ]);
      daemons.push(etcd);
      await etcd.waitUntil(
        async () => (await httpGet(`http://127.0.0.1:${clientPort}/health`)) === 200,
        timeoutMs,
      );

      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
      writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
      // One cluster-admin token for this run only; the file and the server go away together.
      const token = randomBytes(24).toString('hex');
      writeFileSync(join(dir, 'tokens.csv'), `${token},test-admin,test-admin,"system:masters"\n`, {
        mode: 0o600,
      });
      const apiserver = Daemon.spawn(kubeApiserverBin(), [
        `--etcd-servers=http://127.0.0.1:${clientPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, 'certs')}`,
        `--tls-cert-file=${cert.certFile}`,
        `--tls-private-key-file=${cert.keyFile}`,
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        '--anonymous-auth=false',
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--service-cluster-ip-range=10.96.0.0/24',
        // EKS allows privileged pods; Pod Security admission is what must keep them out.
        '--allow-privileged=true',
        // No controller-manager creates the `default` ServiceAccounts this plugin would look up.
        '--disable-admission-plugins=ServiceAccount',
        // Nothing routes to a loopback endpoint for the `kubernetes` Service; do not publish one.
        '--endpoint-reconciler-type=none',
        '--enable-priority-and-fairness=false',
        '--profiling=false',
      ]);
      daemons.push(apiserver);
      const server = new KubeApiserver(dir, daemons, apiPort, readFileSync(cert.certFile), token);
      await apiserver.waitUntil(
        async () => (await server.request('GET', '/readyz')).status === 200,
        timeoutMs,
      );
      return server;
    } catch (err) {
      await Promise.all(daemons.map((d) => d.stop()));
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  request(
    method: string,
    path: string,
    body?: { text: string; contentType: string },
    timeoutMs = 30_000,
  ): Promise<KubeResponse> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          ca: this.ca,
          timeout: timeoutMs,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: 'application/json',
            ...(body ? { 'content-type': body.contentType } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              warnings: res.headersDistinct.warning ?? [],
            });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body?.text);
    });
  }

  async stop(): Promise<void> {
    // The API server first, so that it does not log etcd going away.
    for (const d of [...this.daemons].reverse()) await d.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
