import * as aws from '@pulumi/aws';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import type { Sla } from '@ml-platform/stack-config';
import { podIdentityRole } from '../aws/iam';
import { CHARTS } from '../k8s/charts';
import { helmRelease } from '../k8s/helm';
import { kube } from '../k8s/kube';
import { POOL_LABEL, POOL_METRIC_LABEL, systemNodeSelector } from '../k8s/scheduling';
import { alertmanagerConfig } from './alertmanager';
import { serviceDashboard } from './dashboard';
import { dashboardConfigMap, prometheusRule, serviceMonitor } from './objects';
import { costRuleGroups, type CostRuleOptions } from './cost-rules';
import { slaRuleGroups } from './sla-rules';

export interface MonitoringArgs {
  sla: Sla;
  provider: k8s.Provider;
  /** Namespace of the inference service (what the rules and the ServiceMonitor select). */
  serviceNamespace: string;
  /** Namespace for the stack; default `monitoring`. */
  namespace?: string;
  /** drift_score alert threshold; default 0.2. */
  driftThreshold?: number;
  /** Queued requests per pod that count as saturation; default 50. */
  queueSaturationDepth?: number;
  /** p99 latency alert threshold in ms; default the SLA's p99. */
  p99AlertMs?: number;
  /** model_confidence_shift alert threshold; default 0.25. */
  confidenceShiftThreshold?: number;
  /** The stack's budget, for the cost alerts (none without one). */
  budget?: CostRuleOptions['budget'];
  /** Emails subscribed to the alert topic (cloud stacks). */
  alertEmails?: string[];
  webhookUrl?: string;
  /** Cloud settings; omitted on the local stack (no SNS, no IAM, no persistent volumes). */
  aws?: { clusterName: string; region: string; storageClass: string };
  /** For the dashboard's cost per 1000 predictions. */
  cost: { baseHourlyUsd: number; gpuNodeHourlyUsd: number };
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * kube-prometheus-stack (Prometheus, Alertmanager, Grafana), the SLA's PrometheusRule, the service's
 * ServiceMonitor and Grafana dashboard, and on AWS an SNS topic that Alertmanager publishes to.
 */
export class Monitoring extends pulumi.ComponentResource {
  readonly namespace: string;
  /** Alert topic (cloud stacks): CloudWatch alarms elsewhere in the stack notify it too. */
  readonly topic?: aws.sns.Topic;
  /** The chart release: CRDs (ServiceMonitor, PrometheusRule) exist once it is up. */
  readonly release: k8s.helm.v3.Release;
  readonly prometheusUrl: string;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ml-platform:monitoring:Monitoring', name, {}, opts);
    this.namespace = args.namespace ?? 'monitoring';
    const release = 'kube-prometheus-stack';
    this.prometheusUrl = `http://${release}-prometheus.${this.namespace}.svc:9090`;
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
    const ns = kube(
      this.namespace,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace } },
      k8sOpts,
    );

    const deps: pulumi.Resource[] = [ns];
    let snsTopicArn: pulumi.Output<string> | undefined;
    if (args.aws) {
      this.topic = new aws.sns.Topic(
        `${name}-alerts`,
        { displayName: 'ml-platform alerts' },
        { parent: this },
      );
      snsTopicArn = this.topic.arn;
      for (const [i, email] of (args.alertEmails ?? []).entries()) {
        new aws.sns.TopicSubscription(
          `${name}-alerts-email-${i}`,
          { topic: this.topic.arn, protocol: 'email', endpoint: email },
          { parent: this },
        );
      }
      deps.push(
        podIdentityRole(
          `${name}-alertmanager`,
          {
            clusterName: args.aws.clusterName,
            namespace: this.namespace,
            serviceAccount: 'alertmanager',
            statements: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: this.topic.arn }],
          },
          this,
          args.dependsOn,
        ),
      );
    }

    const grafanaPassword = new random.RandomPassword(
      `${name}-grafana-admin`,
      { length: 32, special: false },
      { parent: this },
    );
    deps.push(
      kube(
        'grafana-admin',
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'grafana-admin', namespace: this.namespace },
          type: 'Opaque',
          stringData: { 'admin-user': 'admin', 'admin-password': grafanaPassword.result },
        },
        { ...k8sOpts, dependsOn: [ns] },
      ),
    );

    const nodeSelector = args.aws ? systemNodeSelector : undefined;
    const alertConfig = pulumi
      .output(snsTopicArn)
      .apply((arn) =>
        alertmanagerConfig({ snsTopicArn: arn, region: args.aws?.region, webhookUrl: args.webhookUrl }),
      );
    this.release = helmRelease(
      release,
      CHARTS.kubePrometheusStack,
      this.namespace,
      {
        fullnameOverride: release,
        prometheus: {
          prometheusSpec: {
            retention: '15d',
            // Select every rule/monitor in the cluster, not only the chart's own.
            ruleSelectorNilUsesHelmValues: false,
            serviceMonitorSelectorNilUsesHelmValues: false,
            podMonitorSelectorNilUsesHelmValues: false,
            nodeSelector,
            resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '4Gi' } },
            ...(args.aws
              ? {
                  storageSpec: {
                    volumeClaimTemplate: {
                      spec: {
                        storageClassName: args.aws.storageClass,
                        accessModes: ['ReadWriteOnce'],
                        resources: { requests: { storage: '50Gi' } },
                      },
                    },
                  },
                }
              : {}),
          },
        },
        alertmanager: {
          serviceAccount: { create: true, name: 'alertmanager' },
          config: alertConfig,
          alertmanagerSpec: { nodeSelector },
        },
        grafana: {
          admin: { existingSecret: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' },
          sidecar: { dashboards: { enabled: true, label: 'grafana_dashboard', searchNamespace: 'ALL' } },
          nodeSelector,
        },
        prometheusOperator: { nodeSelector },
        'kube-state-metrics': { metricLabelsAllowlist: [`nodes=[${POOL_LABEL}]`], nodeSelector },
      },
      { ...k8sOpts, dependsOn: [...(args.dependsOn ?? []), ...deps] },
    );

    const crdOpts = { ...k8sOpts, dependsOn: [this.release] };
    kube(
      'inference-sla',
      prometheusRule(
        'inference-sla',
        this.namespace,
        slaRuleGroups({
          sla: args.sla,
          namespace: args.serviceNamespace,
          driftThreshold: args.driftThreshold ?? 0.2,
          queueSaturationDepth: args.queueSaturationDepth ?? 50,
          p99AlertMs: args.p99AlertMs,
        }),
      ),
      crdOpts,
    );
    kube(
      'inference-cost',
      prometheusRule(
        'inference-cost',
        this.namespace,
        costRuleGroups({
          namespace: args.serviceNamespace,
          budget: args.budget,
          confidenceShiftThreshold: args.confidenceShiftThreshold ?? 0.25,
        }),
      ),
      crdOpts,
    );
    kube('inference', serviceMonitor('inference', this.namespace, args.serviceNamespace), crdOpts);
    kube(
      'inference-dashboard',
      dashboardConfigMap(
        'ml-platform-inference',
        this.namespace,
        serviceDashboard({
          sla: args.sla,
          namespace: args.serviceNamespace,
          baseHourlyUsd: args.cost.baseHourlyUsd,
          gpuNodeHourlyUsd: args.cost.gpuNodeHourlyUsd,
          gpuNodeLabel: { metricLabel: POOL_METRIC_LABEL, value: 'gpu' },
        }),
      ),
      { ...k8sOpts, dependsOn: [ns] },
    );
    this.registerOutputs({ namespace: this.namespace, topicArn: this.topic?.arn });
  }
}
