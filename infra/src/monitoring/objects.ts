import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PATHS } from '@ml-platform/contract/names';
import type { RuleGroup } from './sla-rules';

/** Pod label Argo Rollouts sets; copied onto metrics so analysis can tell canary pods from stable ones. */
export const POD_TEMPLATE_HASH_LABEL = 'rollouts-pod-template-hash';
/** Services carrying this label are scraped by the service ServiceMonitor. */
export const SCRAPE_LABEL = 'ml-platform/scrape';

export function prometheusRule(name: string, namespace: string, groups: RuleGroup[]): IPrometheusRule {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name,
      namespace,
      labels: { 'app.kubernetes.io/part-of': 'ml-platform', release: 'kube-prometheus-stack' },
    },
    spec: { groups },
  };
}

export function serviceMonitor(name: string, namespace: string, serviceNamespace: string): IServiceMonitor {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: {
      name,
      namespace,
      labels: { 'app.kubernetes.io/part-of': 'ml-platform', release: 'kube-prometheus-stack' },
    },
    spec: {
      selector: { matchLabels: { [SCRAPE_LABEL]: 'true' } },
      namespaceSelector: { matchNames: [serviceNamespace] },
      podTargetLabels: [POD_TEMPLATE_HASH_LABEL],
      endpoints: [{ port: 'http', path: PATHS.metrics, interval: '15s', scrapeTimeout: '10s' }],
    },
  };
}

/** Picked up by the Grafana sidecar of kube-prometheus-stack (label `grafana_dashboard`). */
export function dashboardConfigMap(
  name: string,
  namespace: string,
  dashboard: Record<string, unknown>,
): IConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace,
      labels: { grafana_dashboard: '1', 'app.kubernetes.io/part-of': 'ml-platform' },
    },
    data: { [`${name}.json`]: JSON.stringify(dashboard) },
  };
}
