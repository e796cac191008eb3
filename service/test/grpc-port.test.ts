import net from 'node:net';
import { startServiceProcess, waitReady } from '../../test/support/service-process';
import { OipClient } from './grpc-support';
import { tempRepository } from './http-support';

/**
 * GRPC_PORT=ephemeral binds any free port and the "listening" line reports it, as PORT=0 does for
 * REST: a caller that picks a port and hands it over races every other process for it.
 */
let repo: ReturnType<typeof tempRepository>;
beforeAll(() => {
  repo = tempRepository(['breast-cancer-lite']);
});
afterAll(() => repo.remove());

it('answers gRPC on the port its listening line reports', async () => {
  const svc = await startServiceProcess({ MODEL_REPOSITORY: repo.dir, GRPC_PORT: 'ephemeral' });
  const client = new OipClient(`127.0.0.1:${svc.grpcPort}`);
  try {
    expect(svc.grpcPort).toEqual(expect.any(Number));
    expect(svc.grpcPort).not.toBe(svc.port);
    await waitReady(svc, 60_000);
    expect((await client.call('ServerReady', {})).response).toEqual({ ready: true });
  } finally {
    client.close();
    await svc.stop();
  }
}, 90_000);

it('keeps GRPC_PORT=0 meaning off', async () => {
  const svc = await startServiceProcess({ MODEL_REPOSITORY: repo.dir, GRPC_PORT: '0' });
  try {
    expect(svc.grpcPort).toBeUndefined();
  } finally {
    await svc.stop();
  }
}, 90_000);

describe.each(['PORT', 'GRPC_PORT'])('%s already taken', (variable) => {
  it('exits 1 naming the variable, the port and the reason, before listening', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const started = startServiceProcess({
        MODEL_REPOSITORY: repo.dir,
        GRPC_PORT: 'ephemeral',
        [variable]: String(port),
      });
      await expect(started).rejects.toThrow(
        new RegExp(
          `exited with 1 before listening:[\\s\\S]*\\n${variable}=${port}: cannot listen on 127\\.0\\.0\\.1: .*EADDRINUSE`,
        ),
      );
    } finally {
      holder.close();
    }
  }, 60_000);
});
