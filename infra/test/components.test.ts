/**
 * Each component on its own under Pulumi mocks: what it declares for given Args, and that bad Args
 * fail at construction with a message naming the argument.
 */
import * as fs from 'node:fs';
import * as eks from '@pulumi/eks';
import * as k8s from '@pulumi/kubernetes';
import { loadStackConfig } from '@ml-platform/stack-config';
import { NodeAutoscaling } from '../src/autoscaling/node-autoscaling';
import { PodAutoscaling } from '../src/autoscaling/pod-autoscaling';
import { Budget } from '../src/budget/budget';
import { Cluster } from '../src/cluster/cluster';
import { GpuNodeGroups } from '../src/gpu/gpu-node-groups';
import { kube } from '../src/k8s/kube';
import { Monitoring } from '../src/monitoring/monitoring';
import { Network } from '../src/network/network';
import { Redis } from '../src/redis/redis';
import { runUnderMocks, type SynthResource } from '../src/synth/run';
import { ServiceWorkload, type ServiceWorkloadArgs } from '../src/workload/service-workload';
import { helmValues, kubeObject, ofType, one, type Json } from './helpers';

const run = (declare: () => unknown) =>
  runUnderMocks(
    () => {
      declare();
    },
    { stack: 'test', region: 'us-east-1' },
  ).then((r) => r.resources);
const provider = () => new k8s.Provider('k8s', {});
const children = (resources: SynthResource[], componentType: string) => {
  const parent = one(resources, componentType).urn;
  return resources.filter((r) => r.parent === parent);
};
const sla = loadStackConfig('prod').sla;
const g5 = {
  name: 'g5',
  instanceTypes: ['g5.xlarge'],
  min: 0,
  max: 4,
  capacityType: 'ON_DEMAND' as const,
  diskSizeGb: 100,
};

describe('Network', () => {
  it('spans the AZs with one NAT each when asked, tagging subnets for ALB and Karpenter discovery', async () => {
    const resources = await run(
      () =>
        new Network('net', {
          clusterName: 'c1',
          region: 'us-east-1',
          availabilityZones: 3,
          natGateways: 'one-per-az',
        }),
    );
    const vpc = one(resources, 'awsx:ec2:Vpc').inputs as Json;
    expect(vpc).toMatchObject({
      numberOfAvailabilityZones: 3,
      natGateways: { strategy: 'OnePerAz' },
      cidrBlock: '10.0.0.0/16',
    });
    const specs = Object.fromEntries(vpc.subnetSpecs.map((s: Json) => [s.type, s]));
    expect(specs.Public.tags['kubernetes.io/role/elb']).toBe('1');
    expect(specs.Private.tags).toMatchObject({
      'kubernetes.io/role/internal-elb': '1',
      'karpenter.sh/discovery': 'c1',
    });
    expect(children(resources, 'ml-platform:network:Network').map((r) => r.type)).toEqual(['awsx:ec2:Vpc']);
  });

  it('defaults to 2 AZs and a single NAT, and refuses fewer than 2 AZs', async () => {
    const vpc = one(
      await run(() => new Network('net', { clusterName: 'c1', region: 'us-east-1' })),
      'awsx:ec2:Vpc',
    ).inputs as Json;
    expect(vpc).toMatchObject({ numberOfAvailabilityZones: 2, natGateways: { strategy: 'Single' } });
    await expect(
      run(() => new Network('net', { clusterName: 'c1', region: 'us-east-1', availabilityZones: 1 })),
    ).rejects.toThrow(/availabilityZones must be >= 2, got 1/);
  });
});

describe('Cluster', () => {
  const args = {
    name: 'c1',
    version: '1.33',
    region: 'us-east-1',
    vpcId: 'vpc-1',
    privateSubnetIds: ['a', 'b'],
    publicSubnetIds: ['c', 'd'],
    systemNodes: { instanceType: 'm6i.large', min: 2, max: 3 },
    adminPrincipalArns: ['arn:aws:iam::123456789012:role/admin'],
  };

  it('passes access entries, OIDC, KMS secrets encryption and no default node group to EKS', async () => {
    const resources = await run(() => new Cluster('cluster', args));
    const eks = one(resources, 'eks:index:Cluster').inputs as Json;
    expect(eks).toMatchObject({
      name: 'c1',
      version: '1.33',
      authenticationMode: 'API',
      createOidcProvider: true,
      skipDefaultNodeGroup: true,
      nodeAssociatePublicIpAddress: false,
      enabledClusterLogTypes: ['api', 'audit', 'authenticator'],
      vpcCniOptions: { enableNetworkPolicy: true },
    });
    expect(eks.encryptionConfigKeyArn).toMatch(/^arn:aws:kms:/);
    expect(eks.accessEntries['admin-0'].accessPolicies.admin.policyArn).toMatch(
      /AmazonEKSClusterAdminPolicy$/,
    );
  });

  it('adds a system node group, core add-ons, metrics-server and the load balancer controller', async () => {
    const resources = await run(() => new Cluster('cluster', args));
    const sys = one(resources, 'aws:eks/nodeGroup:NodeGroup').inputs as Json;
    expect(sys).toMatchObject({
      amiType: 'AL2023_x86_64_STANDARD',
      scalingConfig: { minSize: 2, maxSize: 3 },
      labels: { 'ml-platform/pool': 'system' },
    });
    expect(ofType(resources, 'aws:eks/addon:Addon').map((r) => r.inputs.addonName)).toEqual([
      'eks-pod-identity-agent',
      'aws-ebs-csi-driver',
    ]);
    expect(helmValues(resources, 'metrics-server').nodeSelector).toEqual({ 'ml-platform/pool': 'system' });
    expect(helmValues(resources, 'aws-load-balancer-controller')).toMatchObject({
      clusterName: 'c1',
      serviceAccount: { name: 'aws-load-balancer-controller' },
    });
    expect(one(resources, 'aws:eks/podIdentityAssociation:PodIdentityAssociation').inputs).toMatchObject({
      namespace: 'kube-system',
      serviceAccount: 'aws-load-balancer-controller',
    });
  });

  it('refuses min > max system nodes', async () => {
    await expect(
      run(
        () => new Cluster('cluster', { ...args, systemNodes: { instanceType: 'm6i.large', min: 4, max: 2 } }),
      ),
    ).rejects.toThrow(/systemNodes.min \(4\) must be <= max \(2\)/);
  });
});

describe('NVIDIA AMI type', () => {
  it('comes from the pinned @pulumi/eks enum, which @pulumi/aws node groups take as a string', () => {
    expect(eks.AmiType.AL2023X86_64Nvidia).toBe('AL2023_x86_64_NVIDIA');
    const typings = fs.readFileSync(require.resolve('@pulumi/aws/eks/nodeGroup.d.ts'), 'utf8');
    expect(typings).toMatch(/amiType\?: pulumi\.Input<string \| undefined>;/);
  });
});

describe('GpuNodeGroups', () => {
  const args = () => ({
    clusterName: 'c1',
    nodeRoleArn: 'arn:aws:iam::1:role/n',
    subnetIds: ['a'],
    groups: [g5],
    provider: provider(),
  });

  it('creates a tainted NVIDIA node group per entry and copies node-template tags to its ASG', async () => {
    const resources = await run(() => new GpuNodeGroups('gpu', args()));
    const ng = one(resources, 'aws:eks/nodeGroup:NodeGroup', 'gpu-g5').inputs as Json;
    expect(ng).toMatchObject({
      amiType: 'AL2023_x86_64_NVIDIA',
      scalingConfig: { minSize: 0, maxSize: 4, desiredSize: 0 },
      diskSize: 100,
    });
    const asgTags = ofType(resources, 'aws:autoscaling/tag:Tag').map((r) => (r.inputs as Json).tag);
    expect(asgTags).toContainEqual({
      key: 'k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu',
      value: '1',
      propagateAtLaunch: false,
    });
    expect(
      ofType(resources, 'aws:autoscaling/tag:Tag').every(
        (r) => (r.inputs as Json).autoscalingGroupName === 'eks-gpu-g5-asg',
      ),
    ).toBe(true);
    expect(helmValues(resources, 'nvidia-device-plugin').tolerations).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(kubeObject(resources, 'DaemonSet', 'dcgm-exporter').spec.template.spec.nodeSelector).toEqual({
      'ml-platform/pool': 'gpu',
    });
  });

  it('leaves provisioning to Karpenter when asked, keeping the device plugin and DCGM', async () => {
    const resources = await run(() => new GpuNodeGroups('gpu', { ...args(), provisioner: 'karpenter' }));
    expect(ofType(resources, 'aws:eks/nodeGroup:NodeGroup')).toEqual([]);
    expect(kubeObject(resources, 'ServiceMonitor', 'dcgm-exporter')).toBeDefined();
  });

  it('refuses min > max and an unbounded max', async () => {
    await expect(
      run(() => new GpuNodeGroups('gpu', { ...args(), groups: [{ ...g5, min: 5 }] })),
    ).rejects.toThrow(/group g5 min \(5\) must be <= max \(4\)/);
    await expect(
      run(() => new GpuNodeGroups('gpu', { ...args(), groups: [{ ...g5, max: 101 }] })),
    ).rejects.toThrow(/group g5 max \(101\) must be <= 100/);
  });
});

describe('NodeAutoscaling', () => {
  const args = () => ({
    clusterName: 'c1',
    region: 'us-east-1',
    partition: 'aws',
    accountId: '1',
    gpuNodeGroups: [g5],
    provider: provider(),
    tags: { stack: 's' },
  });

  it('cluster-autoscaler: Helm release with auto-discovery and a scoped IAM policy', async () => {
    const resources = await run(() => new NodeAutoscaling('na', { ...args(), mode: 'cluster-autoscaler' }));
    expect(helmValues(resources, 'cluster-autoscaler')).toMatchObject({
      autoDiscovery: { clusterName: 'c1' },
      awsRegion: 'us-east-1',
    });
    const policy = JSON.parse((one(resources, 'aws:iam/rolePolicy:RolePolicy').inputs as Json).policy);
    expect(policy.Statement[0].Condition.StringEquals).toEqual({
      'aws:ResourceTag/k8s.io/cluster-autoscaler/c1': 'owned',
    });
    expect(ofType(resources, 'aws:sqs/queue:Queue')).toEqual([]);
  });

  it('karpenter: alarms on an interruption backlog when given a topic', async () => {
    const resources = await run(
      () => new NodeAutoscaling('na', { ...args(), mode: 'karpenter', alarmTopicArn: 'arn:t' }),
    );
    expect(one(resources, 'aws:cloudwatch/metricAlarm:MetricAlarm').inputs).toMatchObject({
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: 'c1' },
      alarmActions: ['arn:t'],
    });
  });

  it('karpenter: interruption queue fed by EventBridge, node role with access entry, NodePool and EC2NodeClass', async () => {
    const resources = await run(() => new NodeAutoscaling('na', { ...args(), mode: 'karpenter' }));
    expect(one(resources, 'aws:sqs/queue:Queue').inputs).toMatchObject({
      name: 'c1',
      sqsManagedSseEnabled: true,
    });
    expect(ofType(resources, 'aws:cloudwatch/eventRule:EventRule')).toHaveLength(4);
    expect(ofType(resources, 'aws:cloudwatch/eventTarget:EventTarget')).toHaveLength(4);
    expect(ofType(resources, 'aws:cloudwatch/metricAlarm:MetricAlarm')).toEqual([]);
    expect(one(resources, 'aws:eks/accessEntry:AccessEntry').inputs).toMatchObject({
      type: 'EC2_LINUX',
      clusterName: 'c1',
    });
    expect(one(resources, 'aws:iam/role:Role', 'karpenter-node').inputs).toMatchObject({
      name: 'c1-karpenter-node',
    });
    expect(helmValues(resources, 'karpenter').settings).toEqual({
      clusterName: 'c1',
      interruptionQueue: 'c1',
    });
    expect(kubeObject(resources, 'NodePool', 'gpu-g5').spec.limits).toEqual({ 'nvidia.com/gpu': '4' });
    expect(kubeObject(resources, 'EC2NodeClass', 'gpu-g5').spec.role).toBe('c1-karpenter-node');
  });
});

describe('PodAutoscaling', () => {
  const target = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'inference' };
  const args = () => ({
    namespace: 'inference',
    target,
    minReplicas: 2,
    maxReplicas: 9,
    prometheusUrl: 'http://p',
    provider: provider(),
  });

  it('uses KEDA on queue depth by default', async () => {
    const resources = await run(() => new PodAutoscaling('pa', args()));
    const so = kubeObject(resources, 'ScaledObject', 'inference');
    expect(so.spec).toMatchObject({ minReplicaCount: 2, maxReplicaCount: 9, scaleTargetRef: target });
    expect(so.spec.triggers[0]).toMatchObject({
      type: 'prometheus',
      metricType: 'AverageValue',
      metadata: { threshold: '10' },
    });
    expect(ofType(resources, 'kubernetes:autoscaling/v2:HorizontalPodAutoscaler')).toEqual([]);
  });

  it('falls back to an HPA on CPU without KEDA, and refuses min > max', async () => {
    const resources = await run(() => new PodAutoscaling('pa', { ...args(), keda: false, targetCpuPct: 60 }));
    const hpa = kubeObject(resources, 'HorizontalPodAutoscaler', 'inference');
    expect(hpa.spec.metrics[0].resource.target.averageUtilization).toBe(60);
    expect(ofType(resources, 'kubernetes:helm.sh/v3:Release')).toEqual([]);
    await expect(run(() => new PodAutoscaling('pa', { ...args(), minReplicas: 10 }))).rejects.toThrow(
      /minReplicas \(10\) <= maxReplicas \(9\)/,
    );
  });
});

describe('Redis', () => {
  const ec = {
    replicationGroupId: 'c1',
    nodeType: 'cache.r7g.large',
    replicas: 2,
    multiAz: true,
    vpcId: 'vpc-1',
    subnetIds: ['a', 'b'],
    clientSecurityGroupId: 'sg-nodes',
    alarmTopicArn: 'arn:aws:sns:us-east-1:1:alerts',
  };

  it('ElastiCache: TLS, at-rest encryption, secret token in Secrets Manager and a Kubernetes Secret', async () => {
    const resources = await run(() => new Redis('redis', { provider: provider(), elastiCache: ec }));
    expect(one(resources, 'aws:elasticache/replicationGroup:ReplicationGroup').inputs).toMatchObject({
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      numCacheClusters: 3,
      authToken: '[secret]',
    });
    expect(one(resources, 'aws:secretsmanager/secretVersion:SecretVersion').inputs.secretString).toBe(
      '[secret]',
    );
    expect(resources.filter((r) => r.type.startsWith('kubernetes:'))).toEqual([]);
    const alarms = ofType(resources, 'aws:cloudwatch/metricAlarm:MetricAlarm').map((r) => r.inputs as Json);
    expect(alarms.every((a) => a.alarmActions[0] === ec.alarmTopicArn)).toBe(true);
    const on = (metric: string) =>
      alarms.filter((a) => a.metricName === metric).map((a) => a.dimensions.CacheClusterId);
    expect(on('EngineCPUUtilization')).toEqual(['c1-001', 'c1-002', 'c1-003']);
    // The primary reports no ReplicationLag: an alarm there would never leave OK (notBreaching).
    expect(on('ReplicationLag')).toEqual(['c1-002', 'c1-003']);
  });

  it('in-cluster for the local stack, and refuses multi-AZ without replicas', async () => {
    const resources = await run(() => new Redis('redis', { namespace: 'inference', provider: provider() }));
    expect(ofType(resources, 'aws:elasticache/replicationGroup:ReplicationGroup')).toEqual([]);
    expect(kubeObject(resources, 'Deployment', 'redis').spec.template.spec.securityContext.runAsNonRoot).toBe(
      true,
    );
    await expect(
      run(
        () =>
          new Redis('redis', {
            namespace: 'inference',
            provider: provider(),
            elastiCache: { ...ec, replicas: 0 },
          }),
      ),
    ).rejects.toThrow(/multiAz needs replicas >= 1/);
  });
});

describe('Monitoring', () => {
  it('installs kube-prometheus-stack routed to SNS, the SLA rules, a ServiceMonitor and the dashboard', async () => {
    const resources = await run(
      () =>
        new Monitoring('mon', {
          sla,
          provider: provider(),
          serviceNamespace: 'inference',
          alertEmails: ['a@example.com'],
          aws: { clusterName: 'c1', region: 'us-east-1', storageClass: 'gp3' },
          cost: { baseHourlyUsd: 1, gpuNodeHourlyUsd: 1 },
        }),
    );
    const values = helmValues(resources, 'kube-prometheus-stack');
    expect(values.alertmanager.config.receivers[1].sns_configs[0].topic_arn).toMatch(/^arn:aws:sns:/);
    expect(values.prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues).toBe(false);
    expect(one(resources, 'aws:sns/topicSubscription:TopicSubscription').inputs).toMatchObject({
      protocol: 'email',
      endpoint: 'a@example.com',
    });
    expect(kubeObject(resources, 'PrometheusRule', 'inference-sla').spec.groups).toHaveLength(2);
    expect(kubeObject(resources, 'ServiceMonitor', 'inference').spec.podTargetLabels).toEqual([
      'rollouts-pod-template-hash',
    ]);
    expect(
      kubeObject(resources, 'ConfigMap', 'ml-platform-inference').metadata.labels.grafana_dashboard,
    ).toBe('1');
    expect(kubeObject(resources, 'Secret', 'grafana-admin').stringData['admin-password']).toBe('[secret]');
  });

  it('has no AWS parts on the local stack', async () => {
    const resources = await run(
      () =>
        new Monitoring('mon', {
          sla,
          provider: provider(),
          serviceNamespace: 'inference',
          cost: { baseHourlyUsd: 0, gpuNodeHourlyUsd: 0 },
        }),
    );
    expect(resources.filter((r) => r.type.startsWith('aws:'))).toEqual([]);
  });
});

describe('ServiceWorkload', () => {
  const args = (patch: Partial<ServiceWorkloadArgs> = {}): ServiceWorkloadArgs => ({
    namespace: 'inference',
    provider: provider(),
    image: 'img:1',
    sla,
    rateLimit: { requestsPerSecond: 10, burst: 20 },
    requestTimeoutMs: 1000,
    resources: { cpu: '1', memory: '1Gi' },
    redisUrl: 'redis://:pw@redis:6379',
    redisNetwork: { cidr: '10.0.0.0/16' },
    redisPort: 6379,
    prometheusUrl: 'http://p',
    monitoringNamespace: 'monitoring',
    ...patch,
  });
  const aws = {
    clusterName: 'c1',
    region: 'us-east-1',
    alarmTopicArn: 'arn:aws:sns:us-east-1:1:alerts',
    vpcCidr: '10.0.0.0/16',
    modelPrefix: 'models/',
    apiKeySecretName: 'c1/api-key',
    ingress: {
      scheme: 'internet-facing' as const,
      wafRateLimitPer5Min: 3000,
      certificateArn: 'arn:aws:acm:us-east-1:1:certificate/x',
    },
  };

  it.each([
    ['canary', 'Rollout', ['inference']],
    ['blue-green', 'Rollout', ['inference', 'inference-preview']],
    ['rolling', 'Deployment', ['inference']],
  ] as const)('strategy %s declares a %s and Services %j', async (strategy, kind, services) => {
    const resources = await run(() => new ServiceWorkload('inference', args({ strategy })));
    expect(kubeObject(resources, kind, 'inference').kind).toBe(kind);
    expect(
      ofType(resources, 'kubernetes:core/v1:Service')
        .map((r) => (r.inputs.metadata as Json).name)
        .sort(),
    ).toEqual([...services].sort());
    expect(ofType(resources, 'kubernetes:argoproj.io/v1alpha1:AnalysisTemplate')).toHaveLength(
      strategy === 'rolling' ? 0 : 1,
    );
  });

  it('on AWS: private versioned model bucket, read-only Pod Identity, ALB with TLS and WAF', async () => {
    const resources = await run(() => new ServiceWorkload('inference', args({ aws, gpu: true })));
    expect(one(resources, 'aws:eks/podIdentityAssociation:PodIdentityAssociation').inputs).toMatchObject({
      namespace: 'inference',
      serviceAccount: 'inference',
    });
    const acl = one(resources, 'aws:wafv2/webAcl:WebAcl').inputs as Json;
    expect(acl.rules[0].statement.rateBasedStatement.limit).toBe(3000);
    expect(one(resources, 'aws:cloudwatch/metricAlarm:MetricAlarm').inputs).toMatchObject({
      namespace: 'AWS/WAFV2',
      metricName: 'BlockedRequests',
      dimensions: { WebACL: 'c1-waf', Rule: acl.rules[0].visibilityConfig.metricName, Region: 'us-east-1' },
      threshold: 3000,
      alarmActions: ['arn:aws:sns:us-east-1:1:alerts'],
    });
    const ing = kubeObject(resources, 'Ingress', 'inference');
    expect(ing.metadata.annotations['alb.ingress.kubernetes.io/certificate-arn']).toBe(
      aws.ingress.certificateArn,
    );
    expect(kubeObject(resources, 'ConfigMap', 'inference-model-store').data.prefix).toBe('models/');
    expect(kubeObject(resources, 'Secret', 'inference-api-keys').stringData['api-keys.json']).toBe(
      '[secret]',
    );
    expect(kubeObject(resources, 'Secret', 'redis').stringData).toEqual({ url: '[secret]' });
    expect(
      kubeObject(resources, 'Namespace', 'inference').metadata.labels['pod-security.kubernetes.io/enforce'],
    ).toBe('restricted');
    const namespace = resources.find((r) => r.inputs.kind === 'Namespace');
    expect(namespace?.parent).toBe(one(resources, 'ml-platform:workload:ServiceWorkload').urn);
  });

  it('on AWS with a certificate: a gRPC Ingress on the same ALB, with the same WAF ACL as REST', async () => {
    const resources = await run(() => new ServiceWorkload('inference', args({ aws })));
    const rest = kubeObject(resources, 'Ingress', 'inference').metadata.annotations;
    const grpc = kubeObject(resources, 'Ingress', 'inference-grpc').metadata.annotations;
    const waf = 'alb.ingress.kubernetes.io/wafv2-acl-arn';
    expect(grpc[waf]).toBeDefined();
    expect(grpc[waf]).toBe(rest[waf]);
    expect(grpc['alb.ingress.kubernetes.io/group.name']).toBe(rest['alb.ingress.kubernetes.io/group.name']);
    expect(grpc['alb.ingress.kubernetes.io/backend-protocol-version']).toBe('GRPC');
    const withoutCert = await run(
      () =>
        new ServiceWorkload(
          'inference',
          args({ aws: { ...aws, ingress: { ...aws.ingress, certificateArn: undefined } } }),
        ),
    );
    expect(() => kubeObject(withoutCert, 'Ingress', 'inference-grpc')).toThrow(/found 0/);
    const off = await run(() => new ServiceWorkload('inference', args({ aws, grpcPort: 0 })));
    expect(() => kubeObject(off, 'Ingress', 'inference-grpc')).toThrow(/found 0/);
  });

  it('without auth mounts no API keys', async () => {
    const resources = await run(() => new ServiceWorkload('inference', args({ auth: false })));
    const env = kubeObject(resources, 'Deployment', 'inference').spec.template.spec.containers[0].env.map(
      (e: Json) => e.name,
    );
    expect(env).not.toContain('API_KEYS_FILE');
    expect(ofType(resources, 'random:index/randomPassword:RandomPassword')).toEqual([]);
  });
});

describe('kube()', () => {
  it('refuses a built-in kind it has no typed class for instead of mistyping it', async () => {
    await expect(
      run(() =>
        kube(
          'q',
          { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' } },
          { provider: provider() },
        ),
      ),
    ).rejects.toThrow(/add v1\/ResourceQuota to BUILT_IN/);
  });
});

describe('Budget', () => {
  it('declares one monthly cost budget and refuses a non-positive limit', async () => {
    const resources = await run(
      () =>
        new Budget('b', {
          monthlyLimitUsd: 100,
          alertThresholdsPct: [90],
          emails: ['a@example.com'],
          costAllocationTag: { key: 'k', value: 'v' },
        }),
    );
    expect(one(resources, 'aws:budgets/budget:Budget').inputs).toMatchObject({
      limitAmount: '100.00',
      costFilters: [{ name: 'TagKeyValue', values: ['user:k$v'] }],
    });
    await expect(
      run(
        () =>
          new Budget('b', {
            monthlyLimitUsd: -1,
            alertThresholdsPct: [90],
            emails: ['a@example.com'],
            costAllocationTag: { key: 'k', value: 'v' },
          }),
      ),
    ).rejects.toThrow(/monthlyLimitUsd must be > 0, got -1/);
  });
});
