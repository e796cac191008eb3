import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { METRICS } from '@ml-platform/contract/names';

export interface ScaleTarget {
  apiVersion: string;
  kind: string;
  name: string;
}

export interface PodScalingOptions {
  namespace: string;
  target: ScaleTarget;
  minReplicas: number;
  maxReplicas: number;
  labels: Record<string, string>;
}

/** Scale-in waits 5 minutes and goes one pod per minute: GPU pods are slow to come back. */
const scaleDownBehavior = {
  stabilizationWindowSeconds: 300,
  policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
};

/**
 * KEDA on the service's own backlog: queued requests per pod against `targetQueueDepthPerPod`
 * (Prometheus trigger, AverageValue), with CPU as a second signal for work that never queues.
 */
export function scaledObject(
  o: PodScalingOptions & { prometheusUrl: string; targetQueueDepthPerPod: number; targetCpuPct: number },
): IScaledObject {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: o.target.name, namespace: o.namespace, labels: o.labels },
    spec: {
      scaleTargetRef: { apiVersion: o.target.apiVersion, kind: o.target.kind, name: o.target.name },
      minReplicaCount: o.minReplicas,
      maxReplicaCount: o.maxReplicas,
      pollingInterval: 15,
      cooldownPeriod: 300,
      advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: scaleDownBehavior } } },
      triggers: [
        {
          type: 'prometheus',
          name: 'queue-depth',
          metricType: 'AverageValue',
          metadata: {
            serverAddress: o.prometheusUrl,
            query: `sum(${METRICS.queueDepth.name}{namespace="${o.namespace}"})`,
            threshold: String(o.targetQueueDepthPerPod),
            // Prometheus down must not scale the service in.
            ignoreNullValues: 'false',
          },
        },
        { type: 'cpu', name: 'cpu', metricType: 'Utilization', metadata: { value: String(o.targetCpuPct) } },
      ],
    },
  };
}

/** Without KEDA: a plain HPA on CPU utilisation with the same bounds. */
export function cpuHpa(o: PodScalingOptions & { targetCpuPct: number }): IHorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: o.target.name, namespace: o.namespace, labels: o.labels },
    spec: {
      scaleTargetRef: { apiVersion: o.target.apiVersion, kind: o.target.kind, name: o.target.name },
      minReplicas: o.minReplicas,
      maxReplicas: o.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: o.targetCpuPct } },
        },
      ],
      behavior: { scaleDown: scaleDownBehavior },
    },
  };
}
