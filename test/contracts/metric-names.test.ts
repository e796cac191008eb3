import pino from 'pino';
import { METRICS } from '@ml-platform/infra/metric-names';
import { loadConfig } from '@ml-platform/service/config';
import { createProductionGuards } from '@ml-platform/service/guards';
import { startService, type RunningService } from '@ml-platform/service';
import { breastCancerRequest, BUNDLED_MODELS, postJson } from '../../service/test/http-support';
import { describeWithRedis, RedisServer } from '../support/redis-server';

/** Exported by the DCGM exporter on GPU nodes, not by the service. */
const NOT_THE_SERVICE = new Set<string>([METRICS.gpuUtilisation]);

/** `foo_bucket` is a sample of the histogram family `foo`. */
const family = (name: string) => name.replace(/_bucket$/, '');

describeWithRedis('metric names shared by infra (alerts, dashboard, autoscaling, rollout analysis)', () => {
  let redis: RedisServer;
  let svc: RunningService;
  let url: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      MODEL_REPOSITORY: BUNDLED_MODELS,
      REDIS_URL: redis.url,
    });
    svc = await startService(config, { logger: pino({ level: 'silent' }), guards: createProductionGuards });
    url = `http://127.0.0.1:${svc.address.port}`;
    await svc.loaded;
  });

  afterAll(async () => {
    await svc?.stop(5000);
    await redis?.stop();
  });

  it('are all exported by the running service, with the labels the queries select on', async () => {
    // Two identical requests: a miss, then a hit, so the cache counters have samples.
    for (let i = 0; i < 2; i++) {
      const res = await postJson(`${url}/v2/models/breast-cancer/versions/1/infer`, breastCancerRequest());
      expect(res.status).toBe(200);
    }
    const text = await (await fetch(`${url}/metrics`)).text();
    const families = new Set([...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]));
    const missing = Object.values(METRICS)
      .filter((name) => !NOT_THE_SERVICE.has(name))
      .filter((name) => !families.has(family(name)));
    expect(missing).toEqual([]);
    expect(text).toMatch(/inference_requests_total\{model="breast-cancer",version="1",status="200"\} 2/);
    expect(text).toMatch(/prediction_cache_hits_total\{model="breast-cancer",version="1",tier="memory"\} 1/);
  });
});
