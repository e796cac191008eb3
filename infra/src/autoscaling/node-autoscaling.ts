import * as aws from '@pulumi/aws';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { GpuNodeGroup } from '@ml-platform/stack-config';
import { policyDocument, podIdentityRole, type PolicyStatement } from '../aws/iam';
import { nodeRole } from '../aws/node-role';
import { gpusPerNode } from '../gpu/gpu-node-groups';
import { CHARTS } from '../k8s/charts';
import { helmRelease } from '../k8s/helm';
import { kube } from '../k8s/kube';
import { systemNodeSelector } from '../k8s/scheduling';
import { INTERRUPTION_EVENTS, gpuNodeClass, gpuNodePool } from './karpenter-objects';

export interface NodeAutoscalingArgs {
  /** `cluster-autoscaler` scales the managed node groups; `karpenter` provisions GPU nodes itself. */
  mode: 'cluster-autoscaler' | 'karpenter';
  clusterName: string;
  region: string;
  partition: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  gpuNodeGroups: GpuNodeGroup[];
  provider: k8s.Provider;
  tags: Record<string, string>;
  /** SNS topic for the interruption-queue alarm (Karpenter). */
  alarmTopicArn?: pulumi.Input<string>;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export function clusterAutoscalerStatements(clusterName: string): PolicyStatement[] {
  return [
    {
      Effect: 'Allow',
      Action: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
      Resource: '*',
      Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: 'owned' } },
    },
    {
      Effect: 'Allow',
      Action: [
        'autoscaling:DescribeAutoScalingGroups',
        'autoscaling:DescribeAutoScalingInstances',
        'autoscaling:DescribeLaunchConfigurations',
        'autoscaling:DescribeScalingActivities',
        'autoscaling:DescribeTags',
        'ec2:DescribeImages',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeLaunchTemplateVersions',
        'ec2:GetInstanceTypesFromInstanceRequirements',
        'eks:DescribeNodegroup',
      ],
      Resource: '*',
    },
  ];
}

export function karpenterControllerStatements(a: {
  clusterName: string;
  region: string;
  partition: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  nodeRoleArn: pulumi.Input<string>;
  queueArn: pulumi.Input<string>;
}): PolicyStatement[] {
  const nodePoolTagged = { StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' } };
  return [
    {
      Effect: 'Allow',
      Action: ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateLaunchTemplate', 'ec2:CreateTags'],
      Resource: '*',
    },
    {
      Effect: 'Allow',
      Action: ['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate'],
      Resource: '*',
      Condition: nodePoolTagged,
    },
    {
      Effect: 'Allow',
      Action: [
        'ec2:DescribeAvailabilityZones',
        'ec2:DescribeImages',
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceTypeOfferings',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeLaunchTemplates',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSpotPriceHistory',
        'ec2:DescribeSubnets',
        'ec2:DescribeCapacityReservations',
        'pricing:GetProducts',
      ],
      Resource: '*',
    },
    {
      Effect: 'Allow',
      Action: 'ssm:GetParameter',
      Resource: pulumi.interpolate`arn:${a.partition}:ssm:${a.region}::parameter/aws/service/*`,
    },
    {
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: a.nodeRoleArn,
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    },
    {
      Effect: 'Allow',
      Action: [
        'iam:CreateInstanceProfile',
        'iam:TagInstanceProfile',
        'iam:AddRoleToInstanceProfile',
        'iam:RemoveRoleFromInstanceProfile',
        'iam:DeleteInstanceProfile',
        'iam:GetInstanceProfile',
        'iam:ListInstanceProfiles',
      ],
      Resource: '*',
    },
    {
      Effect: 'Allow',
      Action: 'eks:DescribeCluster',
      Resource: pulumi.interpolate`arn:${a.partition}:eks:${a.region}:${a.accountId}:cluster/${a.clusterName}`,
    },
    {
      Effect: 'Allow',
      Action: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
      Resource: a.queueArn,
    },
  ];
}

/**
 * Node autoscaling, one of two ways. Cluster Autoscaler: the Helm release and its IAM, scaling the
 * managed node groups (GPU groups carry node-template tags so they scale up from zero). Karpenter: the
 * controller and its IAM, its own node role and access entry, the interruption queue fed by EventBridge,
 * and per GPU group an EC2NodeClass and a NodePool with taint, limits and consolidation.
 */
export class NodeAutoscaling extends pulumi.ComponentResource {
  constructor(name: string, args: NodeAutoscalingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ml-platform:autoscaling:NodeAutoscaling', name, {}, opts);
    if (args.mode === 'cluster-autoscaler') this.clusterAutoscaler(args);
    else this.karpenter(args);
    this.registerOutputs({ mode: args.mode });
  }

  private clusterAutoscaler(args: NodeAutoscalingArgs): void {
    const serviceAccount = 'cluster-autoscaler';
    const role = podIdentityRole(
      'cluster-autoscaler',
      {
        clusterName: args.clusterName,
        namespace: 'kube-system',
        serviceAccount,
        statements: clusterAutoscalerStatements(args.clusterName),
      },
      this,
      args.dependsOn,
    );
    helmRelease(
      'cluster-autoscaler',
      CHARTS.clusterAutoscaler,
      'kube-system',
      {
        cloudProvider: 'aws',
        awsRegion: args.region,
        autoDiscovery: { clusterName: args.clusterName },
        rbac: { serviceAccount: { create: true, name: serviceAccount } },
        replicaCount: 1,
        nodeSelector: systemNodeSelector,
        priorityClassName: 'system-cluster-critical',
        extraArgs: {
          'balance-similar-node-groups': true,
          'skip-nodes-with-system-pods': false,
          expander: 'least-waste',
          'scale-down-unneeded-time': '10m',
          'scale-down-delay-after-add': '10m',
        },
      },
      { parent: this, provider: args.provider, dependsOn: [...(args.dependsOn ?? []), role] },
    );
  }

  private karpenter(args: NodeAutoscalingArgs): void {
    const nodeRoleName = `${args.clusterName}-karpenter-node`;
    // Named explicitly: the EC2NodeClass refers to the role by name. A role of its own, because EKS
    // already holds an access entry for the managed node groups' role.
    const role = nodeRole('karpenter-node', args.partition, this, nodeRoleName);
    const accessEntry = new aws.eks.AccessEntry(
      'karpenter-node',
      { clusterName: args.clusterName, principalArn: role.arn, type: 'EC2_LINUX' },
      { parent: this, dependsOn: args.dependsOn },
    );

    const queue = new aws.sqs.Queue(
      'karpenter-interruption',
      { name: args.clusterName, messageRetentionSeconds: 300, sqsManagedSseEnabled: true },
      { parent: this },
    );
    if (args.alarmTopicArn) {
      // Notices older than two minutes mean Karpenter is not draining them: Spot reclaims will hit running pods.
      new aws.cloudwatch.MetricAlarm(
        'karpenter-interruption-backlog',
        {
          namespace: 'AWS/SQS',
          metricName: 'ApproximateAgeOfOldestMessage',
          dimensions: { QueueName: args.clusterName },
          statistic: 'Maximum',
          period: 60,
          evaluationPeriods: 3,
          threshold: 120,
          comparisonOperator: 'GreaterThanThreshold',
          treatMissingData: 'notBreaching',
          alarmDescription: 'Karpenter has not consumed interruption notices for over 2 minutes',
          alarmActions: [args.alarmTopicArn],
          okActions: [args.alarmTopicArn],
        },
        { parent: this, dependsOn: [queue] },
      );
    }
    new aws.sqs.QueuePolicy(
      'karpenter-interruption',
      {
        queueUrl: queue.url,
        policy: policyDocument([
          {
            Sid: 'EventBridgeDelivers',
            Effect: 'Allow',
            Principal: { Service: ['events.amazonaws.com', 'sqs.amazonaws.com'] },
            Action: 'sqs:SendMessage',
            Resource: queue.arn,
          },
          {
            Sid: 'DenyHTTP',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sqs:*',
            Resource: queue.arn,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ]),
      },
      { parent: this },
    );
    for (const [ruleName, pattern] of Object.entries(INTERRUPTION_EVENTS)) {
      const rule = new aws.cloudwatch.EventRule(
        `karpenter-${ruleName}`,
        { eventPattern: JSON.stringify(pattern) },
        { parent: this },
      );
      new aws.cloudwatch.EventTarget(
        `karpenter-${ruleName}`,
        { rule: rule.name, arn: queue.arn },
        { parent: this },
      );
    }

    const serviceAccount = 'karpenter';
    const controllerRole = podIdentityRole(
      'karpenter-controller',
      {
        clusterName: args.clusterName,
        namespace: 'kube-system',
        serviceAccount,
        statements: karpenterControllerStatements({ ...args, nodeRoleArn: role.arn, queueArn: queue.arn }),
      },
      this,
      args.dependsOn,
    );
    const controller = helmRelease(
      'karpenter',
      CHARTS.karpenter,
      'kube-system',
      {
        settings: { clusterName: args.clusterName, interruptionQueue: args.clusterName },
        serviceAccount: { create: true, name: serviceAccount },
        replicas: 2,
        nodeSelector: systemNodeSelector,
        controller: { resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } } },
      },
      {
        parent: this,
        provider: args.provider,
        dependsOn: [...(args.dependsOn ?? []), controllerRole, accessEntry],
      },
    );
    const crdOpts = { parent: this, provider: args.provider, dependsOn: [controller] };
    for (const group of args.gpuNodeGroups) {
      kube(
        `gpu-${group.name}-nodeclass`,
        gpuNodeClass({ clusterName: args.clusterName, nodeRoleName, tags: args.tags }, group),
        crdOpts,
      );
      kube(`gpu-${group.name}-nodepool`, gpuNodePool(group, gpusPerNode(group)), crdOpts);
    }
  }
}
