import type { IAnalysisTemplate } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate';
import type { IRollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout';
import type { Sla } from '@ml-platform/stack-config';
import { errorBudgetRatio } from '@ml-platform/stack-config';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { POD_TEMPLATE_HASH_METRIC_LABEL } from '../monitoring/metric-names';
import { errorRatio, latencyQuantile } from '../monitoring/promql';
import { num } from '../monitoring/sla-rules';

export const ANALYSIS_TEMPLATE = 'inference-sla';
export const HASH_ARG = 'pod-template-hash';

export interface WorkloadMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
}

/**
 * Judges a new version on its own pods' traffic: p99 latency and 5xx ratio over 2 minutes must stay
 * within the SLA in 5 measurements a minute apart; two failures fail the analysis, which aborts the
 * rollout and sends traffic back to the stable version. A version with no traffic yet (NaN) passes.
 */
export function analysisTemplate(meta: WorkloadMeta, sla: Sla, prometheusUrl: string): IAnalysisTemplate {
  const selector = `namespace="${meta.namespace}",${POD_TEMPLATE_HASH_METRIC_LABEL}="{{args.${HASH_ARG}}}"`;
  const measure = { interval: '1m', count: 5, failureLimit: 1 };
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: ANALYSIS_TEMPLATE, namespace: meta.namespace, labels: meta.labels },
    spec: {
      args: [{ name: HASH_ARG }],
      metrics: [
        {
          name: 'p99-latency',
          ...measure,
          successCondition: `isNaN(result[0]) || result[0] <= ${num(sla.p99LatencyMs / 1000)}`,
          provider: { prometheus: { address: prometheusUrl, query: latencyQuantile(0.99, '2m', selector) } },
        },
        {
          name: 'error-rate',
          ...measure,
          successCondition: `isNaN(result[0]) || result[0] <= ${num(errorBudgetRatio(sla))}`,
          provider: { prometheus: { address: prometheusUrl, query: errorRatio('2m', selector) } },
        },
      ],
    },
  };
}

const analysisRef = {
  templates: [{ templateName: ANALYSIS_TEMPLATE }],
  args: [{ name: HASH_ARG, valueFrom: { podTemplateHashValue: 'Latest' } }],
};

/** Replicas are left to the autoscaler (KEDA or HPA), so neither `replicas` nor Pulumi fights it. */
function rolloutBase(
  meta: WorkloadMeta,
  template: IPodTemplateSpec,
): Omit<IRollout, 'spec'> & { spec: Omit<IRollout['spec'], 'strategy'> } {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels },
    spec: {
      revisionHistoryLimit: 5,
      progressDeadlineSeconds: 900,
      progressDeadlineAbort: true,
      selector: { matchLabels: meta.labels },
      template: template as NonNullable<IRollout['spec']['template']>,
    },
  };
}

/** Canary by replica weight: 10%, analysis, 50%, analysis, then everything. */
export function canaryRollout(meta: WorkloadMeta, template: IPodTemplateSpec): IRollout {
  const base = rolloutBase(meta, template);
  return {
    ...base,
    spec: {
      ...base.spec,
      strategy: {
        canary: {
          maxSurge: '25%',
          maxUnavailable: 0,
          abortScaleDownDelaySeconds: 30,
          steps: [
            { setWeight: 10 },
            { pause: { duration: '2m' } },
            { analysis: analysisRef },
            { setWeight: 50 },
            { pause: { duration: '2m' } },
            { analysis: analysisRef },
          ],
        },
      },
    },
  };
}

/**
 * Blue-green: the new version comes up behind the preview Service, is promoted, then judged on real
 * traffic; the old ReplicaSet stays up for the analysis so a failure switches straight back.
 */
export function blueGreenRollout(
  meta: WorkloadMeta,
  template: IPodTemplateSpec,
  previewService: string,
): IRollout {
  const base = rolloutBase(meta, template);
  return {
    ...base,
    spec: {
      ...base.spec,
      strategy: {
        blueGreen: {
          activeService: meta.name,
          previewService,
          autoPromotionEnabled: true,
          postPromotionAnalysis: analysisRef,
          scaleDownDelaySeconds: 600,
          abortScaleDownDelaySeconds: 30,
        },
      },
    },
  };
}

/** Plain rolling update that never drops below the current ready count. */
export function rollingDeployment(meta: WorkloadMeta, template: IPodTemplateSpec): IDeployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels },
    spec: {
      revisionHistoryLimit: 5,
      minReadySeconds: 10,
      progressDeadlineSeconds: 900,
      selector: { matchLabels: meta.labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template,
    },
  };
}
