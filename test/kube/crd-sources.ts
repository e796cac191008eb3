import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CHARTS } from '@ml-platform/infra/charts';
import type { KubeObject } from './api';

/**
 * The CustomResourceDefinitions the rendered manifests use, from the upstream YAML that the
 * operators' Go modules ship, at the release each pinned chart installs. `chartVersion` is the pin in
 * infra/src/k8s/charts.ts that `module@version` matches: the test fails when the pin moves alone.
 */
export interface CrdSource {
  chart: keyof typeof CHARTS;
  chartVersion: string;
  module: string;
  version: string;
  files: string[];
}

export const CRD_SOURCES: CrdSource[] = [
  {
    chart: 'kubePrometheusStack',
    chartVersion: '75.15.0',
    module: 'github.com/prometheus-operator/prometheus-operator',
    version: 'v0.83.0',
    files: [
      'example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml',
      'example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml',
    ],
  },
  {
    chart: 'keda',
    chartVersion: '2.17.0',
    module: 'github.com/kedacore/keda/v2',
    version: 'v2.17.0',
    files: ['config/crd/bases/keda.sh_scaledobjects.yaml'],
  },
  {
    chart: 'argoRollouts',
    chartVersion: '2.39.0',
    module: 'github.com/argoproj/argo-rollouts',
    version: 'v1.8.0',
    files: ['manifests/crds/rollout-crd.yaml', 'manifests/crds/analysis-template-crd.yaml'],
  },
  {
    chart: 'karpenter',
    chartVersion: '1.5.0',
    module: 'sigs.k8s.io/karpenter',
    version: 'v1.5.0',
    files: ['pkg/apis/crds/karpenter.sh_nodepools.yaml'],
  },
];

/** Kinds the manifests use whose CRD cannot be had here, and why: these are not checked. */
export const UNCHECKED_KINDS: Record<string, string> = {
  'karpenter.k8s.aws/v1/EC2NodeClass':
    'its CRD ships in github.com/aws/karpenter-provider-aws, and the Go module proxy does not serve v1.5.0 ' +
    '(the chart pin); a later release would check a schema the cluster does not run',
};

export const GO = process.env.GO ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go');

/** The module's directory in the Go module cache, downloading it through the module proxy if needed. */
function moduleDir(module: string, version: string): string {
  // Outside any module, so that no go.mod around the checkout changes what is resolved.
  const r = spawnSync(GO, ['mod', 'download', '-json', `${module}@${version}`], {
    cwd: tmpdir(),
    encoding: 'utf8',
    timeout: 300_000,
  });
  const info = (r.stdout ? JSON.parse(r.stdout) : {}) as { Dir?: string; Error?: string };
  if (r.status !== 0 || !info.Dir)
    throw new Error(`go mod download ${module}@${version}: ${info.Error ?? r.stderr ?? r.error?.message}`);
  return info.Dir;
}

/** Every CustomResourceDefinition object of CRD_SOURCES, read from the module cache. */
export function loadCrds(): KubeObject[] {
  return CRD_SOURCES.flatMap((source) => {
    const dir = moduleDir(source.module, source.version);
    return source.files.flatMap((file) =>
      parseAllDocuments(readFileSync(join(dir, file), 'utf8'), { version: '1.1' })
        .map((doc) => doc.toJS() as KubeObject | null)
        .filter((obj): obj is KubeObject => obj?.kind === 'CustomResourceDefinition'),
    );
  });
}
