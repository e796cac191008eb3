import net from 'node:net';
import { freePort, withFreePorts } from '../support/free-port';
import { describeWithRedis, RedisServer } from '../support/redis-server';

/**
 * Daemons that cannot report an ephemeral port get one picked for them; whatever takes it before
 * they bind it must cost a retry on another port, not a failed test or a test talking to the
 * wrong process.
 */

/** A plain TCP listener on a free port: it accepts connections, as another test's server would. */
async function holdPort(): Promise<net.Server> {
  const holder = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  return holder;
}
const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port;

function ping(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    socket.setTimeout(2000, () => socket.destroy(new Error('no answer')));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().trim());
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed without an answer')));
  });
}

describeWithRedis('RedisServer.start on a port taken in between', () => {
  let holder: net.Server;
  beforeEach(async () => {
    holder = await holdPort();
  });
  afterEach(() => holder.close());

  it('starts on another port, and only its own redis-server counts as started', async () => {
    const picks = [portOf(holder)];
    const redis = await RedisServer.start({}, async () => picks.shift() ?? freePort());
    try {
      expect(picks).toEqual([]);
      expect(redis.port).not.toBe(portOf(holder));
      expect(await ping(redis.port)).toBe('+PONG');
    } finally {
      await redis.stop();
    }
  });

  it('gives up after its attempts with redis-server’s own reason', async () => {
    const started = Date.now();
    await expect(RedisServer.start({}, async () => portOf(holder))).rejects.toThrow(
      new RegExp(`did not start on port ${portOf(holder)}: [\\s\\S]*Address already in use`),
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('withFreePorts', () => {
  it('hands out the number of ports asked for and retries only a port that was taken', async () => {
    const seen: number[][] = [];
    const failing = (message: string) => async (ports: number[]) => {
      seen.push(ports);
      throw new Error(message);
    };
    await expect(withFreePorts(3, failing('bind: address already in use'), { attempts: 4 })).rejects.toThrow(
      /address already in use/,
    );
    expect(seen.map((ports) => ports.length)).toEqual([3, 3, 3, 3]);
    seen.length = 0;
    await expect(withFreePorts(1, failing('certificate expired'))).rejects.toThrow(/certificate expired/);
    expect(seen).toHaveLength(1);
  });
});
