import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { ChartRef } from './charts';

/** A pinned Helm release; its values are visible to tests and policies as the resource's inputs. */
export function helmRelease(
  name: string,
  chart: ChartRef,
  namespace: string,
  values: Record<string, unknown>,
  opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
  return new k8s.helm.v3.Release(
    name,
    {
      name,
      chart: chart.chart,
      version: chart.version,
      ...(chart.repo ? { repositoryOpts: { repo: chart.repo } } : {}),
      namespace,
      createNamespace: true,
      atomic: true,
      cleanupOnFail: true,
      timeout: 900,
      values,
    },
    opts,
  );
}
