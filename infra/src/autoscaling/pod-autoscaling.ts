import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { CHARTS } from '../k8s/charts';
import { helmRelease } from '../k8s/helm';
import { kube } from '../k8s/kube';
import { cpuHpa, scaledObject, type ScaleTarget } from './pod-autoscaling-objects';

export interface PodAutoscalingArgs {
  namespace: string;
  target: ScaleTarget;
  minReplicas: number;
  maxReplicas: number;
  /** KEDA on the service's metrics (default); false: an HPA on CPU. */
  keda?: boolean;
  /** Queued requests per pod KEDA aims for; default 10. */
  targetQueueDepthPerPod?: number;
  /** CPU utilisation target in percent; default 70. */
  targetCpuPct?: number;
  prometheusUrl: string;
  provider: k8s.Provider;
  nodeSelector?: Record<string, string>;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Scales the service between its bounds: KEDA on queue depth (plus CPU), or an HPA on CPU. */
export class PodAutoscaling extends pulumi.ComponentResource {
  constructor(name: string, args: PodAutoscalingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ml-platform:autoscaling:PodAutoscaling', name, {}, opts);
    if (args.minReplicas < 1 || args.minReplicas > args.maxReplicas) {
      throw new Error(
        `PodAutoscaling ${name}: need 1 <= minReplicas (${args.minReplicas}) <= maxReplicas (${args.maxReplicas})`,
      );
    }
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
    const common = {
      namespace: args.namespace,
      target: args.target,
      minReplicas: args.minReplicas,
      maxReplicas: args.maxReplicas,
      labels: { 'app.kubernetes.io/part-of': 'ml-platform' },
    };
    const targetCpuPct = args.targetCpuPct ?? 70;
    if (args.keda ?? true) {
      const keda = helmRelease(
        'keda',
        CHARTS.keda,
        'keda',
        { ...(args.nodeSelector ? { nodeSelector: args.nodeSelector } : {}), operator: { replicaCount: 2 } },
        k8sOpts,
      );
      kube(
        `${name}-scaledobject`,
        scaledObject({
          ...common,
          prometheusUrl: args.prometheusUrl,
          targetQueueDepthPerPod: args.targetQueueDepthPerPod ?? 10,
          targetCpuPct,
        }),
        { ...k8sOpts, dependsOn: [...(args.dependsOn ?? []), keda] },
      );
    } else {
      kube(`${name}-hpa`, cpuHpa({ ...common, targetCpuPct }), k8sOpts);
    }
    this.registerOutputs({});
  }
}
