import * as aws from '@pulumi/aws';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import type { Sla } from '@ml-platform/stack-config';
import { podIdentityRole } from '../aws/iam';
import { CHARTS, IMAGES } from '../k8s/charts';
import { helmRelease } from '../k8s/helm';
import { kube, restrictedNamespace } from '../k8s/kube';
import { systemNodeSelector } from '../k8s/scheduling';
import { apiKeysFile } from './api-keys';
import {
  grpcIngress,
  ingress,
  networkPolicy,
  podDisruptionBudget,
  service,
  type NetworkPolicyOptions,
} from './exposure';
import { modelBucket, modelReadStatements } from './model-bucket';
import { API_KEYS_FILE_NAME, DEFAULT_GRPC_PORT, inferencePodTemplate } from './pod';
import {
  analysisTemplate,
  blueGreenRollout,
  canaryRollout,
  rollingDeployment,
  type WorkloadMeta,
} from './strategies';
import { rateLimitWebAcl } from './waf';

export type RolloutStrategy = 'canary' | 'blue-green' | 'rolling';

export interface ServiceWorkloadArgs {
  /** Namespace the component creates (Pod Security "restricted"); default `inference`. */
  namespace?: string;
  provider: k8s.Provider;
  image: string;
  /** Default 8080. */
  port?: number;
  /** The gRPC port (GRPC_PORT), default 8081; 0 turns gRPC off. */
  grpcPort?: number;
  /** What the kubelet probes: REST health (default) or grpc.health.v1. */
  probes?: 'http' | 'grpc';
  /** `canary` and `blue-green` use Argo Rollouts with SLA analysis; `rolling` a Deployment. Default rolling. */
  strategy?: RolloutStrategy;
  sla: Sla;
  rateLimit: { requestsPerSecond: number; burst: number };
  requestTimeoutMs: number;
  /** The pod's POD_COST_PER_HOUR_USD (stack-config podCostPerHour). Default 0. */
  podCostPerHourUsd?: number;
  resources: { cpu: string; memory: string };
  /** One GPU per pod on the GPU pools. Default false. */
  gpu?: boolean;
  nodeSelector?: Record<string, string>;
  /** API keys required (a generated key, its hash mounted as API_KEYS_FILE). Default true. */
  auth?: boolean;
  /** Redis connection URL (a secret), delivered as the `redis` Secret; unset: in-memory limits and cache. */
  redisUrl?: pulumi.Input<string>;
  redisNetwork: NetworkPolicyOptions['redis'];
  redisPort: number;
  prometheusUrl: string;
  monitoringNamespace: string;
  /** AWS parts; omitted on the local stack (models from the image, no IAM, no ALB). */
  aws?: {
    clusterName: string;
    region: string;
    /** SNS topic for the WAF alarm. */
    alarmTopicArn?: pulumi.Input<string>;
    vpcCidr: string;
    /** Existing model bucket; unset creates one. */
    modelBucketName?: string;
    modelPrefix: string;
    /** Secrets Manager name for the generated API key. */
    apiKeySecretName: string;
    ingress?: {
      scheme: 'internet-facing' | 'internal';
      host?: string;
      certificateArn?: string;
      wafRateLimitPer5Min?: number;
    };
  };
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export const SERVICE_NAME = 'inference';
/** Secret (in the service namespace) holding the Redis URL under `url`. */
export const REDIS_SECRET = { name: 'redis', key: 'url' } as const;

/**
 * The inference service: its namespace, identity and model access, the pods (hardened, probed, GPU-aware), the rollout
 * strategy with SLA analysis, Services, PDB, NetworkPolicy and, on AWS, the ALB Ingress with optional
 * TLS and WAF.
 */
export class ServiceWorkload extends pulumi.ComponentResource {
  /** What the pod autoscaler scales. */
  readonly scaleTarget: { apiVersion: string; kind: string; name: string };
  readonly workload: pulumi.CustomResource;
  readonly modelBucketName?: pulumi.Output<string>;
  readonly apiKey?: pulumi.Output<string>;
  readonly namespace: string;
  readonly serviceName = SERVICE_NAME;
  /**
   * Base URL the load-test gate targets: the Ingress host when one is configured, else the load
   * balancer's hostname once the controller has provisioned it, else the in-cluster Service.
   */
  readonly endpoint: pulumi.Output<string>;

  constructor(name: string, args: ServiceWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ml-platform:workload:ServiceWorkload', name, {}, opts);
    const strategy = args.strategy ?? 'rolling';
    const port = args.port ?? 8080;
    const grpcPort = args.grpcPort ?? DEFAULT_GRPC_PORT;
    const namespace = args.namespace ?? 'inference';
    this.namespace = namespace;
    const meta: WorkloadMeta = {
      name: SERVICE_NAME,
      namespace,
      labels: { 'app.kubernetes.io/name': SERVICE_NAME, 'app.kubernetes.io/part-of': 'ml-platform' },
    };
    const ns = kube(namespace, restrictedNamespace(namespace), {
      parent: this,
      provider: args.provider,
      dependsOn: args.dependsOn,
    });
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: [...(args.dependsOn ?? []), ns] };
    const deps: pulumi.Resource[] = [];

    let redisSecret: { name: string; key: string } | undefined;
    if (args.redisUrl !== undefined) {
      redisSecret = REDIS_SECRET;
      deps.push(
        kube(
          'redis-url',
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: REDIS_SECRET.name, namespace, labels: meta.labels },
            type: 'Opaque',
            stringData: { [REDIS_SECRET.key]: pulumi.secret(args.redisUrl) },
          },
          k8sOpts,
        ),
      );
    }

    deps.push(
      kube(
        'inference',
        {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: SERVICE_NAME, namespace, labels: meta.labels },
          automountServiceAccountToken: false,
        },
        k8sOpts,
      ),
    );

    let modelSync: { image: string; configMap: string } | undefined;
    if (args.aws) {
      const bucketName = args.aws.modelBucketName
        ? pulumi.output(args.aws.modelBucketName)
        : modelBucket(`${args.aws.clusterName}-models`, this).bucket;
      this.modelBucketName = bucketName;
      const bucketArn = pulumi.interpolate`arn:aws:s3:::${bucketName}`;
      deps.push(
        podIdentityRole(
          `${name}-models`,
          {
            clusterName: args.aws.clusterName,
            namespace,
            serviceAccount: SERVICE_NAME,
            statements: modelReadStatements(bucketArn, args.aws.modelPrefix),
          },
          this,
          args.dependsOn,
        ),
      );
      deps.push(
        kube(
          'inference-model-store',
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'inference-model-store', namespace, labels: meta.labels },
            data: { bucket: bucketName, prefix: args.aws.modelPrefix },
          },
          k8sOpts,
        ),
      );
      modelSync = { image: IMAGES.awsCli, configMap: 'inference-model-store' };
    }

    let apiKeysSecret: { name: string; key: string } | undefined;
    if (args.auth ?? true) {
      const key = new random.RandomPassword(
        `${name}-api-key`,
        { length: 48, special: false },
        { parent: this },
      );
      this.apiKey = pulumi.secret(key.result);
      if (args.aws) {
        const sm = new aws.secretsmanager.Secret(
          `${name}-api-key`,
          {
            name: args.aws.apiKeySecretName,
            description: 'API key for the inference service',
            recoveryWindowInDays: 7,
          },
          { parent: this },
        );
        new aws.secretsmanager.SecretVersion(
          `${name}-api-key`,
          { secretId: sm.id, secretString: key.result },
          { parent: this },
        );
      }
      apiKeysSecret = { name: 'inference-api-keys', key: API_KEYS_FILE_NAME };
      deps.push(
        kube(
          'inference-api-keys',
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: apiKeysSecret.name, namespace, labels: meta.labels },
            type: 'Opaque',
            stringData: {
              [API_KEYS_FILE_NAME]: pulumi.secret(
                key.result.apply((k) =>
                  apiKeysFile([{ name: 'platform', key: k, scopes: ['infer', 'admin'] }]),
                ),
              ),
            },
          },
          k8sOpts,
        ),
      );
    }

    const template = inferencePodTemplate({
      labels: meta.labels,
      image: args.image,
      port,
      grpcPort,
      probes: args.probes,
      serviceAccountName: SERVICE_NAME,
      rateLimit: args.rateLimit,
      requestTimeoutMs: args.requestTimeoutMs,
      podCostPerHourUsd: args.podCostPerHourUsd ?? 0,
      resources: args.resources,
      gpu: args.gpu ?? false,
      nodeSelector: args.nodeSelector,
      redisSecret,
      apiKeysSecret,
      modelSync,
    });

    const workloadOpts = { ...k8sOpts, dependsOn: [...k8sOpts.dependsOn, ...deps] };
    if (strategy === 'rolling') {
      this.workload = kube('inference', rollingDeployment(meta, template), workloadOpts);
      this.scaleTarget = { apiVersion: 'apps/v1', kind: 'Deployment', name: SERVICE_NAME };
    } else {
      const controller = helmRelease(
        'argo-rollouts',
        CHARTS.argoRollouts,
        'argo-rollouts',
        {
          controller: { replicas: 2, ...(args.aws ? { nodeSelector: systemNodeSelector } : {}) },
          dashboard: { enabled: false },
        },
        k8sOpts,
      );
      const crdOpts = { ...workloadOpts, dependsOn: [...workloadOpts.dependsOn, controller] };
      const analysis = kube('inference-sla', analysisTemplate(meta, args.sla, args.prometheusUrl), crdOpts);
      const rollout =
        strategy === 'canary'
          ? canaryRollout(meta, template)
          : blueGreenRollout(meta, template, `${SERVICE_NAME}-preview`);
      this.workload = kube('inference', rollout, { ...crdOpts, dependsOn: [...crdOpts.dependsOn, analysis] });
      this.scaleTarget = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: SERVICE_NAME };
    }

    kube('inference', service(meta, SERVICE_NAME, port, true, grpcPort), k8sOpts);
    if (strategy === 'blue-green')
      kube('inference-preview', service(meta, `${SERVICE_NAME}-preview`, port, false), k8sOpts);
    kube('inference', podDisruptionBudget(meta), k8sOpts);
    kube(
      'inference',
      networkPolicy(meta, {
        port,
        grpcPort,
        clientCidr: args.aws?.vpcCidr,
        monitoringNamespace: args.monitoringNamespace,
        redis: args.redisNetwork,
        redisPort: args.redisPort,
        podIdentity: args.aws !== undefined,
      }),
      k8sOpts,
    );

    const ing = args.aws?.ingress;
    this.endpoint = pulumi.output(`http://${SERVICE_NAME}.${namespace}.svc.cluster.local`);
    if (ing) {
      const options = { serviceName: SERVICE_NAME, scheme: ing.scheme, host: ing.host };
      const object = ingress(meta, { ...options, certificateArn: ing.certificateArn });
      // One WAF ACL for the whole ALB: the gRPC Ingress carries the same annotation as REST's, as
      // the pack's grpc-endpoint policy checks.
      const edge: Record<string, pulumi.Input<string>> = {};
      if (ing.wafRateLimitPer5Min !== undefined) {
        const topicArn = args.aws?.alarmTopicArn;
        edge['alb.ingress.kubernetes.io/wafv2-acl-arn'] = rateLimitWebAcl(
          `${args.aws?.clusterName}-waf`,
          ing.wafRateLimitPer5Min,
          this,
          topicArn && args.aws ? { region: args.aws.region, topicArn } : undefined,
        ).arn;
      }
      const withEdge = (o: typeof object) => ({
        ...o,
        metadata: { ...o.metadata, annotations: { ...o.metadata?.annotations, ...edge } },
      });
      const res = kube('inference', withEdge(object), k8sOpts);
      // The ALB speaks gRPC only on an HTTPS listener: no certificate, no public gRPC.
      if (grpcPort && ing.certificateArn) {
        kube(
          'inference-grpc',
          withEdge(grpcIngress(meta, { ...options, certificateArn: ing.certificateArn })),
          k8sOpts,
        );
      }
      const scheme = ing.certificateArn ? 'https' : 'http';
      this.endpoint = ing.host
        ? pulumi.output(`${scheme}://${ing.host}`)
        : (res as k8s.networking.v1.Ingress).status.apply(
            (st) => `${scheme}://${st?.loadBalancer?.ingress?.[0]?.hostname ?? ''}`,
          );
    }
    this.registerOutputs({
      scaleTarget: this.scaleTarget,
      modelBucketName: this.modelBucketName,
      endpoint: this.endpoint,
    });
  }
}
