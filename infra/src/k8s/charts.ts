/** Helm charts the platform installs, pinned; bump them here and nowhere else. */
export interface ChartRef {
  chart: string;
  version: string;
  repo: string;
}

export const CHARTS = {
  metricsServer: {
    chart: 'metrics-server',
    version: '3.12.2',
    repo: 'https://kubernetes-sigs.github.io/metrics-server/',
  },
  awsLoadBalancerController: {
    chart: 'aws-load-balancer-controller',
    version: '1.13.0',
    repo: 'https://aws.github.io/eks-charts',
  },
  kubePrometheusStack: {
    chart: 'kube-prometheus-stack',
    version: '75.15.0',
    repo: 'https://prometheus-community.github.io/helm-charts',
  },
  clusterAutoscaler: {
    chart: 'cluster-autoscaler',
    version: '9.46.6',
    repo: 'https://kubernetes.github.io/autoscaler',
  },
  // OCI chart: the repository is part of the chart reference.
  karpenter: { chart: 'oci://public.ecr.aws/karpenter/karpenter', version: '1.5.0', repo: '' },
  nvidiaDevicePlugin: {
    chart: 'nvidia-device-plugin',
    version: '0.17.1',
    repo: 'https://nvidia.github.io/k8s-device-plugin',
  },
  keda: { chart: 'keda', version: '2.17.0', repo: 'https://kedacore.github.io/charts' },
  argoRollouts: { chart: 'argo-rollouts', version: '2.39.0', repo: 'https://argoproj.github.io/argo-helm' },
} as const satisfies Record<string, ChartRef>;

/** Images the program runs directly (not through a chart). */
export const IMAGES = {
  dcgmExporter: 'nvcr.io/nvidia/k8s/dcgm-exporter:3.3.9-3.6.1-ubuntu22.04',
  redis: 'redis:7.4-alpine',
  awsCli: 'public.ecr.aws/aws-cli/aws-cli:2.27.50',
} as const;
