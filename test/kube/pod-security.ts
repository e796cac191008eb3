import type { KubeObject } from './api';

type PodTemplate = { metadata?: { labels?: Record<string, string> }; spec: Record<string, unknown> };

/** Where each workload kind keeps its pod template. */
const TEMPLATE_PATH: Record<string, string[]> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
  Rollout: ['spec', 'template'],
};

/** `namespace/Kind/name`: how waivers and findings name a workload. */
export const workloadId = (obj: KubeObject) =>
  `${obj.metadata.namespace ?? 'default'}/${obj.kind}/${obj.metadata.name}`;

/**
 * The Pod that `obj`'s pod template makes, or undefined for a kind that runs no pods. Pod Security
 * admission only enforces on Pods (on workloads it only warns), and knows nothing of CRDs such as
 * Rollout, so each template is admitted as the Pod its controller would create.
 */
export function podOf(obj: KubeObject, namespace = obj.metadata.namespace): KubeObject | undefined {
  const path = TEMPLATE_PATH[obj.kind];
  if (!path) return undefined;
  const template = path.reduce<unknown>(
    (node, key) => (node as Record<string, unknown> | undefined)?.[key],
    obj,
  ) as PodTemplate | undefined;
  if (!template?.spec) throw new Error(`${workloadId(obj)} has no pod template at .${path.join('.')}`);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${obj.kind}-${obj.metadata.name}`.toLowerCase(),
      namespace,
      labels: template.metadata?.labels,
    },
    spec: template.spec,
  };
}

export type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

export interface PodSecurityWaiver {
  /** The least privileged level that admits it: it is checked to be admitted there. */
  level: Exclude<PodSecurityLevel, 'restricted'>;
  reason: string;
}

/**
 * The only pod templates allowed to fail the `restricted` Pod Security Standard, by workloadId. The
 * test fails when one here is admitted under `restricted` (the waiver is stale) or one not here is not.
 */
export const POD_SECURITY_WAIVERS: Record<string, PodSecurityWaiver> = {
  'gpu-monitoring/DaemonSet/dcgm-exporter': {
    level: 'privileged',
    reason:
      'a node agent on GPU nodes only: DCGM needs SYS_ADMIN for GPU profiling counters and reads the ' +
      "kubelet's pod-resources socket (hostPath) to label metrics by pod; it runs in its own namespace",
  },
};
