import { loadStackConfig } from '@ml-platform/stack-config';
import { scaledObject } from '../../src/autoscaling/pod-autoscaling-objects';
import { serviceDashboard } from '../../src/monitoring/dashboard';
import { analysisTemplate } from '../../src/workload/strategies';
import type { Json } from '../helpers';
import { hasPromtool, promtool } from '../promtool';

/** Every PromQL expression the platform ships outside the rule file: dashboard, rollout analysis, KEDA. */
function expressions(): { where: string; expr: string }[] {
  const sla = loadStackConfig('prod').sla;
  const dashboard = serviceDashboard({
    sla,
    namespace: 'inference',
    baseHourlyUsd: 1,
    gpuNodeHourlyUsd: 1,
    gpuNodeLabel: { metricLabel: 'label_ml_platform_pool', value: 'gpu' },
  }) as Json;
  const analysis = analysisTemplate(
    { name: 'inference', namespace: 'inference', labels: {} },
    sla,
    'http://p',
  );
  const keda = scaledObject({
    namespace: 'inference',
    target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'inference' },
    minReplicas: 1,
    maxReplicas: 2,
    labels: {},
    prometheusUrl: 'http://p',
    targetQueueDepthPerPod: 10,
    targetCpuPct: 70,
  });
  return [
    ...dashboard.panels.flatMap((p: Json) =>
      p.targets.map((t: Json) => ({ where: `dashboard: ${p.title}`, expr: t.expr as string })),
    ),
    // Argo substitutes {{args.*}} before querying; any label value stands in for it here.
    ...analysis.spec.metrics.map((m) => ({
      where: `analysis: ${m.name}`,
      expr: (m.provider.prometheus?.query ?? '').replace(/\{\{args\.[\w-]+\}\}/g, 'abc123'),
    })),
    ...(keda.spec.triggers ?? [])
      .filter((t) => t.type === 'prometheus')
      .map((t) => ({ where: `keda: ${t.name}`, expr: String(t.metadata?.query) })),
  ];
}

(hasPromtool ? describe : describe.skip)('PromQL outside the rule file', () => {
  it('parses (promtool check rules over recording rules wrapping each expression)', () => {
    const exprs = expressions();
    expect(exprs.length).toBeGreaterThan(10);
    const groups = [
      { name: 'syntax', rules: exprs.map((e, i) => ({ record: `syntax:check_${i}`, expr: e.expr })) },
    ];
    const r = promtool((dir) => ['check', 'rules', `${dir}/rules.yaml`], { 'rules.yaml': { groups } });
    if (r.status !== 0) throw new Error(`${r.output}\n${exprs.map((e, i) => `${i}: ${e.where}`).join('\n')}`);
    expect(r.output).toMatch(new RegExp(`SUCCESS: ${exprs.length} rules found`));
  });
});
