import pino from 'pino';
import { describeWithRedis, RedisServer } from '../../test/support/redis-server';
import { initialState, judge, start, type RolloutPolicy, type RolloutState } from '../src/rollout/controller';
import { RedisConnection } from '../src/redis/connection';
import { RedisRolloutStore } from '../src/rollout/redis-store';
import { addSample, emptyArm, type ArmStats } from '../src/rollout/window';

const logger = pino({ level: 'silent' });

const policy: RolloutPolicy = {
  steps: [10, 100],
  windowMs: 1000,
  minRequests: 20,
  healthyWindows: 1,
  errorMargin: 0.02,
  alpha: 0.05,
  checks: { errorRatio: true, latency: false, drift: false, confidenceShift: false, shadowAgreement: true },
  minShadowAgreement: 0.95,
  minShadowRows: 100,
  autoStart: false,
};

function arm(requests: number): ArmStats {
  const a = emptyArm();
  for (let i = 0; i < requests; i++) addSample(a, 5, false);
  return a;
}

describeWithRedis('rollout state shared through a real Redis', () => {
  let server: RedisServer;
  let redis: RedisConnection;
  beforeAll(async () => {
    server = await RedisServer.start();
    redis = new RedisConnection({ url: server.url, logger, connectTimeoutMs: 2000 });
    for (const stop = Date.now() + 10_000; !redis.isUp() && Date.now() < stop;) {
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  afterAll(async () => {
    await redis?.close();
    await server?.stop();
  });

  it('reads a state an older replica stored, without the checks that judged, as none judged yet', async () => {
    const store = new RedisRolloutStore(redis, () => 10);
    // At the last step after a window whose shadow check judged, then written as an older
    // replica writes it: the same JSON without `judgedChecks`.
    let state: RolloutState = start(initialState('m', '1'), '2', policy, 0, 'api').state;
    state = judge(state, 1, arm(200), arm(40), policy, 2000, true, {
      shadow: { rows: 150, agreed: 150 },
    })!.state;
    expect(state).toMatchObject({ weightPct: 100, judgedChecks: ['error_ratio', 'shadow_agreement'] });
    const { judgedChecks: _dropped, waiting: _none, ...older } = state;
    await redis.run((c) => c.set('rollout:{m}:state', JSON.stringify(older)));

    const loaded = (await store.load('m'))!;
    expect(loaded.judgedChecks).toBeUndefined();
    // No new shadow rows at 100%: the older state's promotion waits, and the shared state says why.
    const held = judge(loaded, 2, emptyArm(), arm(40), policy, 3000, true, {})!;
    expect(await store.compareAndSet('m', loaded.revision, held.state)).toBe(true);
    const shared = (await store.load('m'))!;
    expect(shared).toMatchObject({ phase: 'canary', weightPct: 100, judgedChecks: ['error_ratio'] });
    expect(shared.waiting).toMatch(/^promotion held: no evidence yet from shadow_agreement/);
    expect(shared.history.at(-1)).toMatchObject({ kind: 'hold', by: 'controller' });

    const promoted = judge(shared, 3, emptyArm(), arm(40), policy, 4000, true, {
      shadow: { rows: 150, agreed: 150 },
    })!;
    expect(await store.compareAndSet('m', shared.revision, promoted.state)).toBe(true);
    expect(await store.load('m')).toMatchObject({ phase: 'promoted', stable: '2' });
  });
});
