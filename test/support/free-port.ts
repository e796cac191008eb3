import net from 'node:net';

/**
 * A port free on loopback a moment ago. Only for daemons that cannot bind port 0 and report what
 * they got (redis-server, etcd, kube-apiserver): any other process may take it before the daemon
 * binds it, so start them through withFreePorts. The service reports its ephemeral ports itself
 * (PORT=0, GRPC_PORT=ephemeral; service-process.ts).
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** How a daemon says its port was taken: redis-server, etcd, kube-apiserver and node alike. */
const PORT_TAKEN = /address already in use|EADDRINUSE/i;

export interface FreePortsOptions {
  /** Starts tried before the last error is thrown. */
  attempts?: number;
  /** Where ports come from; a test hands out taken ones to exercise the retry. */
  pick?: () => Promise<number>;
}

/**
 * `start` on `count` fresh free ports, again on fresh ones while it fails because one was taken in
 * between; any other failure, or the last attempt's, is thrown as it is. `start` must release what
 * it started before throwing.
 */
export async function withFreePorts<T>(
  count: number,
  start: (ports: number[]) => Promise<T>,
  { attempts = 5, pick = freePort }: FreePortsOptions = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) ports.push(await pick());
    try {
      return await start(ports);
    } catch (err) {
      if (attempt >= attempts || !PORT_TAKEN.test((err as Error).message)) throw err;
    }
  }
}
