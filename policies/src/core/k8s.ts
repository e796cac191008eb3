import { asArray, asRecord, at, type PlainResource, type Props } from './resources';

/** Kubernetes kinds whose pods the workload guardrails inspect, by their Pulumi type token. */
export const WORKLOAD_TYPES = [
  'kubernetes:apps/v1:Deployment',
  'kubernetes:apps/v1:StatefulSet',
  'kubernetes:apps/v1:DaemonSet',
  'kubernetes:argoproj.io/v1alpha1:Rollout',
] as const;

export const GPU_RESOURCE = 'nvidia.com/gpu';

export interface Container {
  name: string;
  props: Props;
}

export function isWorkload(type: string): boolean {
  return (WORKLOAD_TYPES as readonly string[]).includes(type);
}

export function kindOf(type: string): string {
  return type.slice(type.lastIndexOf(':') + 1);
}

/** The Kubernetes name: metadata.name when the program sets it, else the Pulumi name (auto-naming prefix). */
export function objectName(resource: PlainResource): string {
  const name = at(resource.props, 'metadata', 'name');
  return typeof name === 'string' ? name : resource.name;
}

export function namespaceOf(resource: PlainResource): string {
  const ns = at(resource.props, 'metadata', 'namespace');
  return typeof ns === 'string' ? ns : 'default';
}

/** The pod template; undefined for a Rollout that references a Deployment's template (workloadRef). */
export function podTemplate(resource: PlainResource): Props | undefined {
  return asRecord(at(resource.props, 'spec', 'template'));
}

export function podSpec(resource: PlainResource): Props | undefined {
  return asRecord(at(podTemplate(resource), 'spec'));
}

export function podLabels(resource: PlainResource): Record<string, string> {
  return (asRecord(at(podTemplate(resource), 'metadata', 'labels')) ?? {}) as Record<string, string>;
}

export function containers(resource: PlainResource): Container[] {
  return asArray(at(podSpec(resource), 'containers')).map((c, i) => {
    const props = asRecord(c) ?? {};
    return { name: typeof props.name === 'string' ? props.name : `#${i}`, props };
  });
}

export function envValue(container: Container, name: string): Props | undefined {
  return asArray(container.props.env)
    .map(asRecord)
    .find((e) => e?.name === name);
}

/** True when the pod is meant for GPU nodes: it tolerates the GPU taint or selects GPU-labelled nodes. */
export function targetsGpuNodes(resource: PlainResource): boolean {
  const spec = podSpec(resource);
  const tolerates = asArray(at(spec, 'tolerations')).some((t) => asRecord(t)?.key === GPU_RESOURCE);
  const selects = Object.keys(asRecord(at(spec, 'nodeSelector')) ?? {}).some((k) =>
    k.startsWith('nvidia.com/'),
  );
  return tolerates || selects;
}

/** Label selector semantics for matchLabels: every selector label is on the pod. */
export function selects(matchLabels: unknown, labels: Record<string, string>): boolean {
  const wanted = asRecord(matchLabels);
  if (wanted === undefined || Object.keys(wanted).length === 0) return false;
  return Object.entries(wanted).every(([k, v]) => labels[k] === v);
}

export function label(resource: PlainResource): string {
  return `${kindOf(resource.type)} ${resource.name}`;
}
