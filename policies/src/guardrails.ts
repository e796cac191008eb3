import * as aws from '@pulumi/aws';
import type { Policies } from '@pulumi/policy';
import { checkAvailability } from './checks/availability';
import { checkBudgetCoversMaxCost, checkBudgetNotifications } from './checks/budget';
import { checkCostTags } from './checks/cost-tags';
import {
  checkGpuNodeGroup,
  checkGpuNodePool,
  isGpuNodeGroup,
  isGpuNodePool,
  NODE_GROUP_TYPES,
  NODE_POOL_TYPE,
} from './checks/gpu-node-groups';
import { checkAuth, checkPublicIngress, checkRateLimit, isInferenceWorkload } from './checks/rate-limit-auth';
import {
  CACHE_CLUSTER_TYPE,
  checkRedisEncryption,
  checkRedisHighAvailability,
  checkRedisNotPublic,
  REPLICATION_GROUP_TYPE,
} from './checks/redis';
import { checkAlarmActions, checkSlaAlerts } from './checks/sla-alerts';
import {
  checkImagePinned,
  checkProbes,
  checkResourceBounds,
  checkSecurityContext,
} from './checks/workload-hardening';
import { carriesAwsTags } from './core/aws-taggable';
import type { ContextProvider } from './core/context';
import { resourceGuardrail, stackGuardrail, type Setting } from './core/define';
import { WORKLOAD_TYPES } from './core/k8s';
import type { PlainResource } from './core/resources';

export const PACK_NAME = 'ml-platform-guardrails';

const stringList = (dflt: string[], description: string): Setting<string[]> => ({
  type: 'array',
  items: { type: 'string' },
  default: dflt,
  description,
});
const number = (dflt: number, description: string, minimum = 0): Setting<number> => ({
  type: 'number',
  minimum,
  default: dflt,
  description,
});
const environments = (dflt: string[], description: string): Setting<string[]> =>
  stringList(dflt, description);

const INFERENCE_SELECTOR: Setting<Record<string, string>> = {
  type: 'object',
  additionalProperties: { type: 'string' },
  // The labels the stack program gives the inference pods (infra/src/workload).
  default: { 'app.kubernetes.io/name': 'inference' },
  description: 'Pod labels that mark the inference workload (a matchLabels selector).',
};

const NOT_INFERENCE = 'not the inference workload (inferenceSelector)';
const hasAwsResources = (resources: PlainResource[]) => resources.some((r) => r.type.startsWith('aws:'));

/**
 * The pack's policies. `context` supplies each stack's validated config (SLA, environment, budget) and
 * cost estimate: from the stack files under `pulumi preview`, from the config under test in the gate.
 */
export function guardrails(context: ContextProvider): Policies {
  return [
    stackGuardrail(
      {
        name: 'sla-alerts',
        description:
          'p99 latency and error/burn-rate alerts exist, are no looser than the SLA, and route to a receiver that reaches someone.',
        severity: 'high',
        enforcementLevel: 'mandatory',
        remediation:
          'Generate the PrometheusRule from the stack SLA (ml-platform:sla) instead of hand-set numbers, and route ' +
          'the alerts in Alertmanager to a receiver with an SNS topic (with a subscription), webhook or email config.',
        settings: {
          maxBurnRate: number(
            14.4,
            'Fastest burn rate an error alert may wait for, as a multiple of the error budget.',
            1,
          ),
          errorAlertPattern: {
            type: 'string' as const,
            default: 'error|burn',
            description: 'Case-insensitive regex on the alert name that marks error-rate/burn-rate alerts.',
          },
          maxLatencyForMinutes: number(15, 'Longest `for:` a p99 latency alert may wait before firing.'),
          environments: environments(
            ['dev', 'staging', 'prod', 'local'],
            'Environments the policy applies to.',
          ),
          requireNotificationRoute: {
            type: 'boolean' as const,
            default: true as boolean,
            description:
              'Require the SLA alerts to reach a receiver with an integration (off for a laptop stack).',
          },
        },
      },
      (resources, { settings, context: ctx, notApplicable }) => {
        const { config } = ctx();
        if (!settings.environments.includes(config.environment))
          notApplicable(`not required in ${config.environment}`);
        return checkSlaAlerts(resources, config.sla, settings);
      },
      context,
    ),
    resourceGuardrail(
      {
        name: 'cloudwatch-alarm-actions',
        description: 'CloudWatch alarms notify someone: actions enabled and at least one alarm action.',
        severity: 'medium',
        enforcementLevel: 'mandatory',
        remediation: 'Set alarmActions (and okActions) to the stack alerts SNS topic.',
        settings: {},
      },
      aws.cloudwatch.MetricAlarm,
      (alarm) => checkAlarmActions(alarm),
      context,
    ),
    resourceGuardrail(
      {
        name: 'inference-rate-limit',
        description:
          'The inference workload sets a positive RATE_LIMIT_RPS and RATE_LIMIT_BURST, no higher than the allowed maximum.',
        severity: 'high',
        enforcementLevel: 'mandatory',
        remediation:
          'Set ml-platform:rateLimit {requestsPerSecond, burst} within the maxima; the program passes them as env.',
        settings: {
          maxRequestsPerSecond: number(
            10_000,
            'Highest per-key requests per second a stack may configure.',
            1,
          ),
          maxBurst: number(20_000, 'Highest per-key burst a stack may configure.', 1),
          inferenceSelector: INFERENCE_SELECTOR,
        },
      },
      WORKLOAD_TYPES,
      (workload, { settings, notApplicable }) => {
        if (!isInferenceWorkload(workload, settings.inferenceSelector)) notApplicable(NOT_INFERENCE);
        return checkRateLimit(workload, settings);
      },
      context,
    ),
    resourceGuardrail(
      {
        name: 'inference-auth',
        description:
          'Outside dev, the inference workload requires API keys, and the keys come from a Kubernetes Secret.',
        severity: 'critical',
        enforcementLevel: 'mandatory',
        remediation:
          'Set ml-platform:service.auth to true; the program mounts the API keys Secret and sets API_KEYS_FILE.',
        settings: {
          authOptionalEnvironments: environments(['dev'], 'Environments where auth may be off.'),
          inferenceSelector: INFERENCE_SELECTOR,
        },
      },
      WORKLOAD_TYPES,
      (workload, { settings, context: ctx, notApplicable }) => {
        if (!isInferenceWorkload(workload, settings.inferenceSelector)) notApplicable(NOT_INFERENCE);
        const env = ctx().config.environment;
        if (settings.authOptionalEnvironments.includes(env)) notApplicable(`auth is optional in ${env}`);
        return checkAuth(workload);
      },
      context,
    ),
    stackGuardrail(
      {
        name: 'public-ingress-waf',
        description:
          'An internet-facing Ingress sits behind a WAF web ACL with a rate-based rule (or an accepted edge limit).',
        severity: 'high',
        enforcementLevel: 'mandatory',
        remediation:
          'Set ml-platform:ingress.wafRateLimitPer5Min, or make the ingress internal (ingress.scheme: internal).',
        settings: {
          edgeLimitAnnotations: stringList(
            [],
            'Ingress/Service annotations that stand for an equivalent edge rate limit (e.g. a CDN in front).',
          ),
        },
      },
      (resources, { settings }) => checkPublicIngress(resources, settings),
      context,
    ),
    resourceGuardrail(
      {
        name: 'budget-notifications',
        description:
          'The AWS Budget warns on ACTUAL spend at or below 80% and on FORECASTED spend at 100%, with subscribers.',
        severity: 'medium',
        enforcementLevel: 'mandatory',
        remediation:
          'Keep 80 (or lower) in ml-platform:budget.alertThresholdsPct and at least one email in budget.emails.',
        settings: {
          maxActualThresholdPct: number(80, 'An ACTUAL notification must exist at or below this percentage.'),
          forecastThresholdPct: number(
            100,
            'A FORECASTED notification must exist at exactly this percentage.',
          ),
        },
      },
      aws.budgets.Budget,
      (budget, { settings }) => checkBudgetNotifications(budget, settings),
      context,
    ),
    stackGuardrail(
      {
        name: 'budget-covers-max-cost',
        description:
          "The stack's AWS Budget limit is at least the program's estimated monthly cost at maximum scale.",
        severity: 'high',
        enforcementLevel: 'mandatory',
        remediation:
          'Raise ml-platform:budget.monthlyLimitUsd above the costEstimate.maxMonthlyUsd output (see `npm run synth`), ' +
          'or lower the max node counts.',
        settings: {
          minHeadroomPct: number(0, 'Extra percentage the limit must leave above the estimate.'),
        },
      },
      (resources, { settings, context: ctx, notApplicable }) => {
        if (!hasAwsResources(resources)) notApplicable('the stack has no AWS resources');
        return checkBudgetCoversMaxCost(resources, ctx().maxMonthlyCostUsd, settings);
      },
      context,
    ),
    resourceGuardrail(
      {
        name: 'gpu-node-groups',
        description:
          'GPU node groups use a GPU AMI, carry the nvidia.com/gpu NoSchedule taint, are capped, and use allowed instance families.',
        severity: 'high',
        enforcementLevel: 'mandatory',
        remediation:
          'Keep ml-platform:cluster.gpuNodeGroups[].max within the cap and instanceTypes within the allowed families; ' +
          'the program sets the AMI type and taint.',
        settings: {
          maxNodes: number(16, 'Largest maxSize a GPU node group may have.', 0),
          maxGpus: number(64, 'Largest nvidia.com/gpu limit a Karpenter GPU NodePool may have.', 0),
          allowedInstanceFamilies: stringList(
            ['g4dn', 'g5', 'g6', 'g6e'],
            'EC2 instance families GPU nodes may use.',
          ),
          gpuAmiTypes: stringList(
            [
              'AL2023_x86_64_NVIDIA',
              'AL2023_ARM_64_NVIDIA',
              'BOTTLEROCKET_x86_64_NVIDIA',
              'BOTTLEROCKET_ARM_64_NVIDIA',
            ],
            'EKS AMI types that ship the NVIDIA driver.',
          ),
        },
      },
      [...NODE_GROUP_TYPES, NODE_POOL_TYPE],
      (r, { settings, notApplicable }) => {
        if (r.type === NODE_POOL_TYPE) {
          if (!isGpuNodePool(r)) notApplicable('not a GPU NodePool');
          return checkGpuNodePool(r, settings);
        }
        if (!isGpuNodeGroup(r)) notApplicable('not a GPU node group');
        return checkGpuNodeGroup(r, settings);
      },
      context,
    ),
    resourceGuardrail(
      {
        name: 'redis-encryption',
        description: 'ElastiCache Redis encrypts in transit and at rest and requires an auth token.',
        severity: 'critical',
        enforcementLevel: 'mandatory',
        remediation:
          'Use the platform Redis component, which sets TLS (required), at-rest encryption and a random auth token.',
        settings: {},
      },
      [REPLICATION_GROUP_TYPE, CACHE_CLUSTER_TYPE],
      (r) => checkRedisEncryption(r),
      context,
    ),
    resourceGuardrail(
      {
        name: 'redis-high-availability',
        description: 'In prod, Redis has a replica, automatic failover and multi-AZ.',
        severity: 'high',
        enforcementLevel: 'mandatory',
        remediation:
          'Set ml-platform:redis.replicas to 1 or more; the program enables failover and multi-AZ with it.',
        settings: { environments: environments(['prod'], 'Environments that need highly available Redis.') },
      },
      aws.elasticache.ReplicationGroup,
      (r, { settings, context: ctx, notApplicable }) => {
        const env = ctx().config.environment;
        if (!settings.environments.includes(env)) notApplicable(`not required in ${env}`);
        return checkRedisHighAvailability(r);
      },
      context,
    ),
    stackGuardrail(
      {
        name: 'redis-not-public',
        description:
          'Nothing opens the Redis port to the internet: no world-open security group rule, no external Service.',
        severity: 'critical',
        enforcementLevel: 'mandatory',
        remediation:
          'Allow the Redis port only from the node security group; keep in-cluster Redis a ClusterIP Service.',
        settings: {},
      },
      (resources) => checkRedisNotPublic(resources),
      context,
    ),
    resourceGuardrail(
      {
        name: 'workload-resources',
        description: 'Every container sets requests and limits; pods on GPU nodes limit nvidia.com/gpu.',
        severity: 'medium',
        enforcementLevel: 'mandatory',
        remediation:
          'Set resources.requests and resources.limits on each container (ml-platform:service.resources).',
        settings: {
          requiredRequests: stringList(['cpu', 'memory'], 'Resources every container must request.'),
          requiredLimits: stringList(
            ['memory'],
            'Resources every container must limit (CPU limits throttle; off by default).',
          ),
        },
      },
      WORKLOAD_TYPES,
      (w, { settings }) => checkResourceBounds(w, settings),
      context,
    ),
    resourceGuardrail(
      {
        name: 'workload-security-context',
        description:
          'Containers run as non-root, with a read-only root filesystem and no privilege escalation.',
        severity: 'high',
        enforcementLevel: 'mandatory',
        remediation:
          'Set securityContext {runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}; ' +
          'mount an emptyDir where the process must write.',
        settings: {},
      },
      WORKLOAD_TYPES,
      (w) => checkSecurityContext(w),
      context,
    ),
    resourceGuardrail(
      {
        name: 'workload-image-pinned',
        description: 'Container images are pinned by tag or digest, never `latest` or untagged.',
        severity: 'medium',
        enforcementLevel: 'mandatory',
        remediation: 'Set ml-platform:service.image to an immutable tag or an @sha256 digest.',
        settings: {
          forbiddenTags: stringList(['latest'], 'Mutable tags that do not pin an image.'),
          requireDigest: {
            type: 'boolean' as const,
            default: false as boolean,
            description: 'Require @sha256 digests instead of tags.',
          },
        },
      },
      WORKLOAD_TYPES,
      (w, { settings }) => checkImagePinned(w, settings),
      context,
    ),
    resourceGuardrail(
      {
        name: 'workload-probes',
        description: 'Every container has readiness and liveness probes.',
        severity: 'medium',
        enforcementLevel: 'mandatory',
        remediation: 'Probe /v2/health/ready (readiness) and /v2/health/live (liveness).',
        settings: {
          requiredProbes: stringList(
            ['readinessProbe', 'livenessProbe'],
            'Probes each container must declare.',
          ),
        },
      },
      WORKLOAD_TYPES,
      (w, { settings }) => checkProbes(w, settings),
      context,
    ),
    stackGuardrail(
      {
        name: 'prod-availability',
        description:
          'In prod, workloads keep at least 2 replicas (or autoscaler minimum), have a PDB, and spread over zones.',
        severity: 'high',
        enforcementLevel: 'mandatory',
        remediation:
          'Set ml-platform:autoscaling.pods.minReplicas to 2 or more; the program adds the PDB and zone spread.',
        settings: {
          minReplicas: number(2, 'Fewest replicas a workload may scale down to.', 1),
          environments: environments(['prod'], 'Environments the policy applies to.'),
        },
      },
      (resources, { settings, context: ctx, notApplicable }) => {
        const env = ctx().config.environment;
        if (!settings.environments.includes(env)) notApplicable(`not required in ${env}`);
        return checkAvailability(resources, settings);
      },
      context,
    ),
    resourceGuardrail(
      {
        name: 'cost-allocation-tags',
        description:
          "Every taggable AWS resource, and every component that forwards tags to them, carries the stack's tags, including the budget's cost allocation tag.",
        severity: 'medium',
        enforcementLevel: 'mandatory',
        remediation:
          'Create AWS resources after the stack tagging transformation is registered, and do not drop its tags.',
        settings: {
          requiredTags: stringList(
            ['project', 'stack', 'environment'],
            "Tags required in addition to the budget's cost allocation tag.",
          ),
        },
      },
      carriesAwsTags,
      (r, { settings, context: ctx }) => {
        const budgetTag = ctx().config.budget?.costAllocationTag;
        const requiredTags = budgetTag ? [...settings.requiredTags, budgetTag] : settings.requiredTags;
        return checkCostTags(r, { requiredTags: [...new Set(requiredTags)] });
      },
      context,
    ),
  ];
}
