import type { RedisConnection } from '../redis/connection';
import type { RolloutState } from './controller';
import type { Arm, PendingCounts, RolloutStore } from './store';
import { emptyArm, type ArmStats } from './window';

/**
 * Rollout state and window counts shared by every replica through Redis. The state is one JSON
 * value per model, replaced only by a Lua compare-and-set on its `revision` (atomic on the server),
 * so two replicas judging the same window can never both promote. Window counts are hash fields
 * incremented by every replica, expiring after a few windows. A state written by an older replica
 * lacks the fields added since (`judgedChecks`): the controller reads each absence as the safe value.
 */
const CAS = `
local current = redis.call('GET', KEYS[1])
local revision = -1
if current then revision = tonumber(cjson.decode(current).revision) end
if revision ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

const stateKey = (model: string) => `rollout:{${model}}:state`;
const windowKey = (model: string, id: number, window: number) => `rollout:{${model}}:${id}:w${window}`;

export class RedisRolloutStore implements RolloutStore {
  readonly scope = 'shared' as const;

  constructor(
    private readonly redis: RedisConnection,
    /** How long window counts are kept (several windows). */
    private readonly windowTtlSeconds: (model: string) => number,
  ) {}

  async load(model: string): Promise<RolloutState | undefined> {
    const raw = await this.redis.run((c) => c.get(stateKey(model)));
    return raw ? (JSON.parse(raw) as RolloutState) : undefined;
  }

  async compareAndSet(model: string, expected: number, next: RolloutState): Promise<boolean> {
    const won = await this.redis.run((c) =>
      c.eval(CAS, 1, stateKey(model), String(expected), JSON.stringify(next)),
    );
    return won === 1;
  }

  async add(counts: readonly PendingCounts[]): Promise<void> {
    if (counts.length === 0) return;
    await this.redis.run(async (c) => {
      const multi = c.multi();
      for (const { model, rolloutId, window, arm, stats } of counts) {
        const key = windowKey(model, rolloutId, window);
        const prefix = arm === 'stable' ? 's' : 'c';
        multi.hincrby(key, `${prefix}:n`, stats.requests);
        if (stats.errors) multi.hincrby(key, `${prefix}:e`, stats.errors);
        stats.latency.forEach((count, i) => count && multi.hincrby(key, `${prefix}:b${i}`, count));
        multi.expire(key, this.windowTtlSeconds(model));
      }
      await multi.exec();
    });
  }

  async window(model: string, rolloutId: number, window: number): Promise<Record<Arm, ArmStats>> {
    const fields = await this.redis.run((c) => c.hgetall(windowKey(model, rolloutId, window)));
    const arm = (prefix: string): ArmStats => {
      const stats = emptyArm();
      stats.requests = Number(fields[`${prefix}:n`] ?? 0);
      stats.errors = Number(fields[`${prefix}:e`] ?? 0);
      stats.latency = stats.latency.map((_, i) => Number(fields[`${prefix}:b${i}`] ?? 0));
      return stats;
    };
    return { stable: arm('s'), canary: arm('c') };
  }
}
