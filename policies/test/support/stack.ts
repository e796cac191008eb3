import { parseStackConfig, readStackFile, stackFile, type StackConfig } from '@ml-platform/stack-config';
import { fixedContext } from '../../src/core/context';
import { urnFor, type PlainResource } from '../../src/core/resources';
import { guardrails } from '../../src/guardrails';
import { evaluatePolicies, type EvaluateOptions, type Violation } from '../../src/gate/evaluate';

/**
 * Hand-built resources shaped like the stack program's inputs, for testing each guardrail without
 * running the program. Every builder returns a resource that passes; tests break one thing at a time.
 */
export const STACK = 'prod';
export const PROJECT = 'ml-platform';

export function resource(type: string, name: string, props: Record<string, unknown>): PlainResource {
  return { type, name, urn: urnFor(STACK, PROJECT, type, name), props };
}

export function prodConfig(overrides: Record<string, unknown> = {}): StackConfig {
  return parseStackConfig({ ...readStackFile(stackFile('prod')), ...overrides }, 'test prod config');
}

const INFERENCE_LABELS = {
  'app.kubernetes.io/name': 'inference',
  'app.kubernetes.io/part-of': 'ml-platform',
};

export function inferenceContainer(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'server',
    image: 'ghcr.io/example/ml-platform-service:0.1.0',
    env: [
      { name: 'RATE_LIMIT_RPS', value: '100' },
      { name: 'RATE_LIMIT_BURST', value: '200' },
      { name: 'API_KEYS_FILE', value: '/var/run/secrets/api-keys/keys' },
    ],
    volumeMounts: [{ name: 'api-keys', mountPath: '/var/run/secrets/api-keys', readOnly: true }],
    resources: {
      requests: { cpu: '2', memory: '8Gi', 'nvidia.com/gpu': '1' },
      limits: { memory: '8Gi', 'nvidia.com/gpu': '1' },
    },
    securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
    readinessProbe: { httpGet: { path: '/v2/health/ready', port: 8080 } },
    livenessProbe: { httpGet: { path: '/v2/health/live', port: 8080 } },
    ...over,
  };
}

export function deployment(
  name = 'inference',
  container: Record<string, unknown> = inferenceContainer(),
  spec: Record<string, unknown> = {},
  podSpec: Record<string, unknown> = {},
): PlainResource {
  return resource('kubernetes:apps/v1:Deployment', name, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'inference' },
    spec: {
      replicas: 2,
      selector: { matchLabels: INFERENCE_LABELS },
      template: {
        metadata: { labels: INFERENCE_LABELS },
        spec: {
          containers: [container],
          volumes: [{ name: 'api-keys', secret: { secretName: 'api-keys' } }],
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
          ],
          ...podSpec,
        },
      },
      ...spec,
    },
  });
}

export function pdb(
  name = 'inference',
  matchLabels: Record<string, string> = INFERENCE_LABELS,
): PlainResource {
  return resource('kubernetes:policy/v1:PodDisruptionBudget', name, {
    metadata: { name, namespace: 'inference' },
    spec: { minAvailable: 1, selector: { matchLabels } },
  });
}

export function prometheusRule(
  alerts: Record<string, unknown>[],
  records: Record<string, unknown>[] = [],
): PlainResource {
  return resource('kubernetes:monitoring.coreos.com/v1:PrometheusRule', 'inference-sla', {
    metadata: { name: 'inference-sla', namespace: 'monitoring' },
    spec: {
      groups: [
        { name: 'inference-sla.records', rules: records },
        { name: 'inference-sla.alerts', rules: alerts },
      ],
    },
  });
}

/** The SLA alerts prod's SLA (p99 100ms, error budget 0.1%) calls for, in the program's shape. */
export function slaRules(p99Seconds = 0.1, fastBurn = 0.0144): PlainResource {
  return prometheusRule(
    [
      {
        alert: 'InferenceErrorBudgetBurnFast',
        expr: `(inference:error_ratio:rate1h > ${fastBurn} and inference:error_ratio:rate5m > ${fastBurn})`,
        for: '2m',
        labels: { severity: 'page', slo: 'error-rate' },
      },
      {
        alert: 'InferenceLatencyP99AboveSla',
        expr: `inference:latency_p99_seconds:5m > ${p99Seconds}`,
        for: '5m',
        labels: { severity: 'page', slo: 'latency-p99' },
      },
    ],
    [
      {
        record: 'inference:latency_p99_seconds:5m',
        expr: 'histogram_quantile(0.99, sum by (le, model, version) (rate(inference_request_duration_seconds_bucket{namespace="inference"}[5m])))',
      },
      {
        record: 'inference:error_ratio:rate1h',
        expr: 'sum (rate(inference_requests_total{status=~"5.."}[1h])) / sum (rate(inference_requests_total[1h]))',
      },
    ],
  );
}

export const ALERTS_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:alerts';

export function alertmanagerRelease(
  receivers?: Record<string, unknown>[],
  route?: Record<string, unknown>,
): PlainResource {
  return resource('kubernetes:helm.sh/v3:Release', 'kube-prometheus-stack', {
    chart: 'kube-prometheus-stack',
    values: {
      alertmanager: {
        config: {
          route: route ?? {
            receiver: 'null',
            routes: [{ matchers: ['severity=~"page|ticket"'], receiver: 'sns' }],
          },
          receivers: receivers ?? [
            { name: 'null' },
            { name: 'sns', sns_configs: [{ topic_arn: ALERTS_TOPIC_ARN, sigv4: { region: 'us-east-1' } }] },
          ],
        },
      },
    },
  });
}

export function snsTopicWithSubscription(): PlainResource[] {
  return [
    resource('aws:sns/topic:Topic', 'alerts', { tags: costTags() }),
    resource('aws:sns/topicSubscription:TopicSubscription', 'alerts-ops', {
      topic: ALERTS_TOPIC_ARN,
      protocol: 'email',
      endpoint: 'ops@example.com',
    }),
  ];
}

export function costTags(): Record<string, string> {
  return {
    project: PROJECT,
    stack: STACK,
    environment: 'prod',
    'managed-by': 'pulumi',
    'ml-platform-stack': STACK,
  };
}

export function budget(limitAmount = '15000.00', notifications?: Record<string, unknown>[]): PlainResource {
  const n = (notificationType: string, threshold: number) => ({
    comparisonOperator: 'GREATER_THAN',
    notificationType,
    threshold,
    thresholdType: 'PERCENTAGE',
    subscriberEmailAddresses: ['ops@example.com'],
  });
  return resource('aws:budgets/budget:Budget', 'budget', {
    budgetType: 'COST',
    timeUnit: 'MONTHLY',
    limitAmount,
    limitUnit: 'USD',
    notifications: notifications ?? [
      n('ACTUAL', 50),
      n('ACTUAL', 80),
      n('ACTUAL', 100),
      n('FORECASTED', 100),
    ],
    tags: costTags(),
  });
}

export function gpuNodeGroup(over: Record<string, unknown> = {}): PlainResource {
  return resource('aws:eks/nodeGroup:NodeGroup', 'gpu-g5', {
    amiType: 'AL2023_x86_64_NVIDIA',
    instanceTypes: ['g5.xlarge'],
    capacityType: 'ON_DEMAND',
    scalingConfig: { minSize: 0, desiredSize: 0, maxSize: 4 },
    taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NO_SCHEDULE' }],
    labels: { 'nvidia.com/gpu.present': 'true' },
    tags: costTags(),
    ...over,
  });
}

export function redisGroup(over: Record<string, unknown> = {}): PlainResource {
  return resource('aws:elasticache/replicationGroup:ReplicationGroup', 'redis', {
    engine: 'redis',
    nodeType: 'cache.r7g.large',
    numCacheClusters: 3,
    automaticFailoverEnabled: true,
    multiAzEnabled: true,
    transitEncryptionEnabled: true,
    transitEncryptionMode: 'required',
    atRestEncryptionEnabled: true,
    authToken: '[secret]',
    port: 6379,
    tags: costTags(),
    ...over,
  });
}

/** A prod stack that every guardrail accepts. */
/**
 * The cost alerts prod's budget (15000 USD, first threshold 50%, peak 500 req/s) calls for, in the
 * program's shape: 15000 USD over 500 x 3600 x 730 predictions is 0.0114155 USD per 1k.
 */
export function costRules(per1k = 0.0114155, runRate = 7500): PlainResource {
  return {
    ...prometheusRule(
      [
        {
          alert: 'InferenceCostPer1kAboveBudget',
          expr: `inference:cost_per_1k_predictions_usd > ${per1k}`,
          for: '30m',
        },
        {
          alert: 'InferenceCostRunRateAboveBudget',
          expr: `inference:cost_monthly_run_rate_usd > ${runRate}`,
          for: '1h',
        },
      ],
      [
        {
          record: 'inference:cost_per_1k_predictions_usd',
          expr: '1000 * sum by (model, version) (rate(inference_cost_usd_total{namespace="inference"}[1h])) / sum by (model, version) (rate(inference_requests_total{namespace="inference",status=~"2.."}[1h]))',
        },
        {
          record: 'inference:cost_monthly_run_rate_usd',
          expr: 'sum (rate(inference_cost_usd_total{namespace="inference"}[1h])) * 2628000',
        },
      ],
    ),
    name: 'inference-cost',
    urn: urnFor(STACK, PROJECT, 'kubernetes:monitoring.coreos.com/v1:PrometheusRule', 'inference-cost'),
  };
}

export function goodStack(): PlainResource[] {
  return [
    deployment(),
    pdb(),
    slaRules(),
    costRules(),
    alertmanagerRelease(),
    ...snsTopicWithSubscription(),
    budget(),
    gpuNodeGroup(),
    redisGroup(),
  ];
}

export const MAX_COST = 3933.43;

export async function runPack(
  resources: PlainResource[],
  opts: EvaluateOptions & {
    config?: EvaluateOptions['config'];
    stackConfig?: StackConfig;
    maxCost?: number;
  } = {},
): Promise<Violation[]> {
  const cfg = opts.stackConfig ?? prodConfig();
  const policies = guardrails(fixedContext(cfg, () => opts.maxCost ?? MAX_COST));
  const result = await evaluatePolicies(policies, resources, { packEnforcementLevel: 'mandatory', ...opts });
  return result.violations;
}

/** `policy: message` lines, easy to match in expectations. */
export function lines(violations: Violation[]): string[] {
  return violations.map((v) => `${v.policyName}: ${v.message}`);
}
