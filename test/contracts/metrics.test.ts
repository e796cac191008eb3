import pino from 'pino';
import { histogramSeries, METRICS, type MetricContract } from '@ml-platform/contract/names';
import { loadStackConfig } from '@ml-platform/stack-config';
import { scaledObject } from '@ml-platform/infra/pod-autoscaling-objects';
import { serviceDashboard } from '@ml-platform/infra/dashboard';
import { costRuleGroups } from '@ml-platform/infra/cost-rules';
import { slaRuleGroups } from '@ml-platform/infra/sla-rules';
import { analysisTemplate } from '@ml-platform/infra/strategies';
import { loadConfig } from '@ml-platform/service/config';
import { createProductionGuards } from '@ml-platform/service/guards';
import { startService, type RunningService } from '@ml-platform/service';
import { breastCancerRequest, BUNDLED_MODELS, postJson } from '../../service/test/http-support';
import { describeWithRedis, RedisServer } from '../support/redis-server';

const CONTRACT: MetricContract[] = Object.values(METRICS);

/** Series the platform queries that other exporters provide (kube-state-metrics). */
const NOT_THE_SERVICE = new Set(['kube_node_labels']);
/** Labels Prometheus adds to every scraped series (target labels and the ServiceMonitor's relabelling). */
const TARGET_LABELS = new Set(['namespace', 'pod', 'rollouts_pod_template_hash']);

/** Every PromQL expression the platform evaluates: alert and recording rules, dashboard, autoscaling, rollout analysis. */
function platformQueries(): { exprs: string[]; recorded: Set<string> } {
  const sla = loadStackConfig('prod').sla;
  const namespace = 'inference';
  const budget = loadStackConfig('prod').budget!;
  const rules = [
    ...slaRuleGroups({ sla, namespace, driftThreshold: 0.2, queueSaturationDepth: 50 }),
    ...costRuleGroups({
      namespace,
      budget: { ...budget, maxCostPer1kPredictionsUsd: budget.maxCostPer1kPredictionsUsd! },
      confidenceShiftThreshold: 0.25,
    }),
  ].flatMap((g) => g.rules);
  const dashboard = serviceDashboard({
    sla,
    namespace,
    baseHourlyUsd: 1,
    gpuNodeHourlyUsd: 1,
    gpuNodeLabel: { metricLabel: 'label_pool', value: 'gpu' },
  }) as { panels: Array<{ targets: Array<{ expr: string }> }> };
  const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'inference' };
  const scaling = scaledObject({
    namespace,
    target,
    minReplicas: 1,
    maxReplicas: 2,
    labels: {},
    prometheusUrl: 'http://prometheus:9090',
    targetQueueDepthPerPod: 4,
    targetCpuPct: 70,
  });
  const analysis = analysisTemplate(
    { name: 'inference', namespace, labels: {} },
    sla,
    'http://prometheus:9090',
  );
  return {
    exprs: [
      ...rules.map((r) => r.expr),
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
      ...(scaling.spec?.triggers ?? []).flatMap((t) => (t.metadata.query ? [String(t.metadata.query)] : [])),
      ...(analysis.spec.metrics ?? []).map((m) => String(m.provider.prometheus?.query)),
    ],
    recorded: new Set(rules.flatMap((r) => ('record' in r ? [r.record] : []))),
  };
}

/** The contract metric a series name belongs to: its family, or a histogram's _bucket/_sum/_count. */
function contractMetricOf(series: string): MetricContract | undefined {
  return CONTRACT.find(
    (m) =>
      m.name === series || (m.type === 'histogram' && Object.values(histogramSeries(m)).includes(series)),
  );
}

describe('the platform queries only metrics and labels the contract declares', () => {
  const { exprs, recorded } = platformQueries();
  const selectors = exprs.flatMap((e) =>
    [...e.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)].map(([, series, matchers]) => ({
      series,
      labels: [...matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]),
    })),
  );

  it('names only series of contract metrics, its own recording rules or other exporters', () => {
    const unknown = selectors
      .map((s) => s.series)
      .filter((s) => !recorded.has(s) && !NOT_THE_SERVICE.has(s) && !contractMetricOf(s));
    expect(unknown).toEqual([]);
    // The check has something to check: the SLA, saturation, cache and drift queries are all in.
    const queried = new Set(selectors.map((s) => contractMetricOf(s.series)?.name));
    for (const m of [METRICS.requests, METRICS.requestDuration, METRICS.queueDepth, METRICS.cacheHits])
      expect(queried).toContain(m.name);
  });

  it('selects service series only on their contract labels or on target labels', () => {
    const wrong = selectors.flatMap(({ series, labels }) => {
      const metric = contractMetricOf(series);
      if (!metric) return [];
      const allowed = new Set<string>([...metric.labelNames, ...TARGET_LABELS]);
      return labels.filter((l) => !allowed.has(l)).map((l) => `${series}{${l}}`);
    });
    expect(wrong).toEqual([]);
  });
});

describeWithRedis('the running service exports the contract metrics', () => {
  let redis: RedisServer;
  let svc: RunningService;
  let text: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const config = loadConfig({
      PORT: '0',
      GRPC_PORT: '0',
      HOST: '127.0.0.1',
      MODEL_REPOSITORY: BUNDLED_MODELS,
      REDIS_URL: redis.url,
    });
    svc = await startService(config, { logger: pino({ level: 'silent' }), guards: createProductionGuards });
    const url = `http://127.0.0.1:${svc.address.port}`;
    await svc.loaded;
    // Two identical requests: a miss, then a hit, so the cache counters have samples.
    for (let i = 0; i < 2; i++) {
      const res = await postJson(`${url}/v2/models/breast-cancer/versions/1/infer`, breastCancerRequest());
      expect(res.status).toBe(200);
    }
    text = await (await fetch(`${url}/metrics`)).text();
  });

  afterAll(async () => {
    await svc?.stop(5000);
    await redis?.stop();
  });

  it('every family the contract declares, with its type, and none it does not', () => {
    const families = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    const own = [...families].filter(([name]) => !/^(process|nodejs)_/.test(name));
    expect(Object.fromEntries(own)).toEqual(Object.fromEntries(CONTRACT.map((m) => [m.name, m.type])));
  });

  it('samples carry only the contract label names', () => {
    const samples = [...text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\} /gm)];
    const wrong = samples.flatMap(([, series, labels]) => {
      const metric = contractMetricOf(series);
      if (!metric) return [];
      const allowed = new Set<string>([...metric.labelNames, 'le']);
      const names = [...labels.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)].map((m) => m[1]);
      return names.filter((n) => !allowed.has(n)).map((n) => `${series}{${n}}`);
    });
    expect(wrong).toEqual([]);
    expect(text).toMatch(
      /inference_requests_total\{model="breast-cancer",version="1",status="200",protocol="rest"\} 2/,
    );
    expect(text).toMatch(/prediction_cache_hits_total\{model="breast-cancer",version="1",tier="memory"\} 1/);
  });
});
