import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

/** A Kubernetes object whose leaves may be Pulumi inputs (e.g. a Secret's data from a generated token). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, pulumi.Input<string>>;
  };
}

type KubeCtor = new (name: string, args: never, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/** Built-in kinds get their typed class (their type token is not `kubernetes:<apiVersion>:<kind>`). */
const BUILT_IN: Record<string, KubeCtor> = {
  'v1/Namespace': k8s.core.v1.Namespace,
  'v1/ServiceAccount': k8s.core.v1.ServiceAccount,
  'v1/Secret': k8s.core.v1.Secret,
  'v1/ConfigMap': k8s.core.v1.ConfigMap,
  'v1/Service': k8s.core.v1.Service,
  'apps/v1/Deployment': k8s.apps.v1.Deployment,
  'apps/v1/DaemonSet': k8s.apps.v1.DaemonSet,
  'policy/v1/PodDisruptionBudget': k8s.policy.v1.PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': k8s.networking.v1.NetworkPolicy,
  'networking.k8s.io/v1/Ingress': k8s.networking.v1.Ingress,
  'autoscaling/v2/HorizontalPodAutoscaler': k8s.autoscaling.v2.HorizontalPodAutoscaler,
};

/**
 * Declares one Kubernetes object. Built-in kinds use their SDK class, anything else (CRDs) a
 * CustomResource, so the rendered inputs are always the full object with apiVersion and kind.
 */
export function kube<T extends KubeObject>(
  name: string,
  obj: T,
  opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
  const ctor = BUILT_IN[`${obj.apiVersion}/${obj.kind}`];
  if (ctor) return new ctor(name, obj as never, opts);
  // A built-in group missing from the table would get a wrong type token as a CustomResource.
  if (!obj.apiVersion.includes('.')) {
    throw new Error(`kube(${name}): add ${obj.apiVersion}/${obj.kind} to BUILT_IN before declaring one`);
  }
  return new k8s.apiextensions.CustomResource(name, obj as k8s.apiextensions.CustomResourceArgs, opts);
}

/** A namespace whose pods must all meet the "restricted" Pod Security Standard. */
export function restrictedNamespace(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'app.kubernetes.io/part-of': 'ml-platform',
      },
    },
  };
}
