import * as aws from '@pulumi/aws';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { IMAGES } from '../k8s/charts';
import { kube, restrictedNamespace } from '../k8s/kube';
import { memberAlarms } from './alarms';
import { inClusterRedisObjects } from './in-cluster';

export const REDIS_PORT = 6379;
/** Labels of the in-cluster Redis pods (the service's NetworkPolicy allows egress to them). */
export const IN_CLUSTER_REDIS_LABELS = {
  'app.kubernetes.io/name': 'redis',
  'app.kubernetes.io/part-of': 'ml-platform',
};

export interface ElastiCacheArgs {
  /** Replication group id (also the prefix of its member cluster ids); at most 40 characters. */
  replicationGroupId: string;
  nodeType: string;
  /** Read replicas; >= 1 enables automatic failover. */
  replicas: number;
  /** Spread primary and replicas over AZs (needs replicas >= 1). */
  multiAz: boolean;
  /** Encrypt snapshots and swap at rest; default true. */
  atRestEncryption?: boolean;
  vpcId: pulumi.Input<string>;
  subnetIds: pulumi.Input<string[]>;
  /** The only security group allowed to connect (the nodes'). */
  clientSecurityGroupId: pulumi.Input<string>;
  /** SNS topic the CloudWatch alarms notify. */
  alarmTopicArn?: pulumi.Input<string>;
  /** Daily snapshots kept; default 1. */
  snapshotRetentionDays?: number;
  /** Secrets Manager name for the auth token; default `<replicationGroupId>/redis`. */
  secretName?: string;
}

export interface RedisArgs {
  /** Namespace for the in-cluster Redis (local stack); default `redis`. */
  namespace?: string;
  provider: k8s.Provider;
  /** ElastiCache settings; omitted: Redis runs in the cluster (local stack). */
  elastiCache?: ElastiCacheArgs;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Redis for rate limits and the response cache. On AWS: an ElastiCache replication group with TLS,
 * at-rest encryption and a generated auth token (kept in Secrets Manager), automatic failover and
 * multi-AZ when it has replicas, in private subnets behind a security group open only to the nodes,
 * with CloudWatch alarms. Locally: one Redis pod with a password in its own namespace. Either way
 * `url` is the secret connection URL the service gets as `REDIS_URL`.
 */
export class Redis extends pulumi.ComponentResource {
  readonly endpoint: pulumi.Output<string>;
  /** `rediss://` (ElastiCache, TLS) or `redis://` (in-cluster) URL with the password; a secret. */
  readonly url: pulumi.Output<string>;
  /** Namespace of the in-cluster Redis; undefined for ElastiCache. */
  readonly namespace?: string;
  readonly replicationGroup?: aws.elasticache.ReplicationGroup;

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ml-platform:redis:Redis', name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
    const password = new random.RandomPassword(
      `${name}-auth-token`,
      // ElastiCache tokens: 16-128 printable characters without @, " or /. Alphanumerics avoid URL escaping.
      { length: 64, special: false },
      { parent: this },
    );
    if (args.elastiCache) {
      const ec = args.elastiCache;
      this.replicationGroup = this.elastiCache(name, ec, password.result);
      this.endpoint = this.replicationGroup.primaryEndpointAddress;
      this.url = pulumi.secret(
        pulumi.interpolate`rediss://:${password.result}@${this.endpoint}:${REDIS_PORT}`,
      );
      const secret = new aws.secretsmanager.Secret(
        `${name}-auth-token`,
        {
          name: ec.secretName ?? `${ec.replicationGroupId}/redis`,
          description: 'ElastiCache auth token and URL',
          recoveryWindowInDays: 7,
        },
        { parent: this },
      );
      new aws.secretsmanager.SecretVersion(
        `${name}-auth-token`,
        {
          secretId: secret.id,
          secretString: pulumi.secret(pulumi.jsonStringify({ authToken: password.result, url: this.url })),
        },
        { parent: this },
      );
    } else {
      const namespace = args.namespace ?? 'redis';
      this.namespace = namespace;
      const ns = kube(namespace, restrictedNamespace(namespace), k8sOpts);
      const inNs = { ...k8sOpts, dependsOn: [...(args.dependsOn ?? []), ns] };
      const objects = inClusterRedisObjects(namespace, IMAGES.redis, REDIS_PORT, IN_CLUSTER_REDIS_LABELS);
      const passwordSecret = kube(
        'redis-password',
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'redis-password', namespace },
          type: 'Opaque',
          stringData: { password: password.result },
        },
        inNs,
      );
      kube('redis', objects.deployment, { ...inNs, dependsOn: [...inNs.dependsOn, passwordSecret] });
      kube('redis', objects.service, inNs);
      this.endpoint = pulumi.output(`redis.${namespace}.svc.cluster.local`);
      this.url = pulumi.secret(
        pulumi.interpolate`redis://:${password.result}@${this.endpoint}:${REDIS_PORT}`,
      );
    }
    this.registerOutputs({ endpoint: this.endpoint });
  }

  private elastiCache(
    name: string,
    ec: ElastiCacheArgs,
    authToken: pulumi.Output<string>,
  ): aws.elasticache.ReplicationGroup {
    if (ec.replicationGroupId.length > 40)
      throw new Error(
        `Redis ${name}: replicationGroupId must be <= 40 characters, got "${ec.replicationGroupId}"`,
      );
    if (ec.multiAz && ec.replicas < 1)
      throw new Error(`Redis ${name}: multiAz needs replicas >= 1, got ${ec.replicas}`);
    const sg = new aws.ec2.SecurityGroup(
      `${name}-redis`,
      { vpcId: ec.vpcId, description: 'ElastiCache Redis: TLS port from the cluster nodes only' },
      { parent: this },
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-redis-from-nodes`,
      {
        securityGroupId: sg.id,
        referencedSecurityGroupId: ec.clientSecurityGroupId,
        ipProtocol: 'tcp',
        fromPort: REDIS_PORT,
        toPort: REDIS_PORT,
        description: 'Redis from EKS nodes',
      },
      { parent: this },
    );
    const subnets = new aws.elasticache.SubnetGroup(
      `${name}-redis`,
      { subnetIds: ec.subnetIds, description: 'private subnets' },
      { parent: this },
    );
    const nodes = ec.replicas + 1;
    const group = new aws.elasticache.ReplicationGroup(
      `${name}-redis`,
      {
        replicationGroupId: ec.replicationGroupId,
        description: 'ml-platform rate limits and response cache',
        engine: 'redis',
        engineVersion: '7.1',
        parameterGroupName: 'default.redis7',
        nodeType: ec.nodeType,
        port: REDIS_PORT,
        numCacheClusters: nodes,
        automaticFailoverEnabled: ec.replicas >= 1,
        multiAzEnabled: ec.multiAz,
        transitEncryptionEnabled: true,
        atRestEncryptionEnabled: ec.atRestEncryption ?? true,
        authToken: authToken,
        subnetGroupName: subnets.name,
        securityGroupIds: [sg.id],
        snapshotRetentionLimit: ec.snapshotRetentionDays ?? 1,
        autoMinorVersionUpgrade: true,
        applyImmediately: false,
      },
      { parent: this },
    );
    const actions = ec.alarmTopicArn ? [ec.alarmTopicArn] : [];
    for (const { clusterId, alarms } of memberAlarms(ec.replicationGroupId, ec.replicas)) {
      for (const a of alarms) {
        new aws.cloudwatch.MetricAlarm(
          `${clusterId}-${a.name}`,
          {
            namespace: 'AWS/ElastiCache',
            metricName: a.metricName,
            dimensions: { CacheClusterId: clusterId },
            statistic: a.statistic,
            period: a.periodSeconds,
            evaluationPeriods: a.evaluationPeriods,
            threshold: a.threshold,
            comparisonOperator: a.comparisonOperator,
            treatMissingData: 'notBreaching',
            alarmDescription: a.description,
            alarmActions: actions,
            okActions: actions,
          },
          { parent: this, dependsOn: [group] },
        );
      }
    }
    return group;
  }
}
