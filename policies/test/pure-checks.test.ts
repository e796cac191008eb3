import { checkAvailability } from '../src/checks/availability';
import { checkBudgetCoversMaxCost, checkBudgetNotifications } from '../src/checks/budget';
import { checkCostTags } from '../src/checks/cost-tags';
import { checkGpuNodeGroup } from '../src/checks/gpu-node-groups';
import { checkAuth, checkPublicIngress, checkRateLimit } from '../src/checks/rate-limit-auth';
import { checkRedisEncryption, checkRedisNotPublic } from '../src/checks/redis';
import { checkSlaAlerts } from '../src/checks/sla-alerts';
import {
  checkImagePinned,
  checkProbes,
  checkResourceBounds,
  checkSecurityContext,
} from '../src/checks/workload-hardening';
import {
  alertmanagerRelease,
  budget,
  costTags,
  deployment,
  goodStack,
  gpuNodeGroup,
  inferenceContainer,
  pdb,
  prodConfig,
  redisGroup,
  slaRules,
  snsTopicWithSubscription,
} from './support/stack';

/** The checks on their own: plain objects in, messages out, no @pulumi/policy in between. */
const sla = prodConfig().sla;
const gpu = {
  maxNodes: 16,
  maxGpus: 64,
  allowedInstanceFamilies: ['g5'],
  gpuAmiTypes: ['AL2023_x86_64_NVIDIA'],
};

describe('pure checks', () => {
  it('return nothing for the good resources', () => {
    const d = deployment();
    expect([
      ...checkSlaAlerts([slaRules(), alertmanagerRelease(), ...snsTopicWithSubscription()], sla, {
        maxBurnRate: 14.4,
        errorAlertPattern: 'error|burn',
        maxLatencyForMinutes: 15,
        requireNotificationRoute: true,
      }),
      ...checkRateLimit(d, { maxRequestsPerSecond: 100, maxBurst: 200 }),
      ...checkAuth(d),
      ...checkPublicIngress(goodStack(), { edgeLimitAnnotations: [] }),
      ...checkBudgetNotifications(budget(), { maxActualThresholdPct: 80, forecastThresholdPct: 100 }),
      ...checkBudgetCoversMaxCost([budget('15000')], 14999.99, { minHeadroomPct: 0 }),
      ...checkGpuNodeGroup(gpuNodeGroup(), gpu),
      ...checkRedisEncryption(redisGroup()),
      ...checkRedisNotPublic(goodStack()),
      ...checkResourceBounds(d, { requiredRequests: ['cpu', 'memory'], requiredLimits: ['memory'] }),
      ...checkSecurityContext(d),
      ...checkImagePinned(d, { forbiddenTags: ['latest'], requireDigest: false }),
      ...checkProbes(d, { requiredProbes: ['readinessProbe', 'livenessProbe'] }),
      ...checkAvailability([d, pdb()], { minReplicas: 2 }),
      ...checkCostTags(budget(), { requiredTags: Object.keys(costTags()) }),
    ]).toEqual([]);
  });

  it('name the problem for bad ones', () => {
    expect(checkRateLimit(deployment(), { maxRequestsPerSecond: 99, maxBurst: 200 })).toEqual([
      'container "server" RATE_LIMIT_RPS=100 is above the allowed maximum 99',
    ]);
    expect(checkBudgetCoversMaxCost([budget('15000')], 15000.01, { minHeadroomPct: 0 })[0].message).toMatch(
      /limit \$15000\.00\/month is below the estimated cost at maximum scale \$15000\.01\/month/,
    );
    expect(checkGpuNodeGroup(gpuNodeGroup({ instanceTypes: ['g6.xlarge'] }), gpu)).toEqual([
      'instance families g6 are not allowed (allowed: g5)',
    ]);
    expect(
      checkImagePinned(deployment('x', inferenceContainer({ image: 'svc' })), {
        forbiddenTags: [],
        requireDigest: true,
      }),
    ).toEqual(['container "server" image "svc" is not pinned by digest (@sha256:...)']);
    expect(checkAvailability([deployment()], { minReplicas: 3 }).map((f) => f.message)).toEqual([
      'Deployment inference can run 2 replica(s) (spec.replicas); prod needs at least 3',
      'Deployment inference has no PodDisruptionBudget selecting its pods',
    ]);
    expect(checkCostTags(budget(), { requiredTags: ['owner'] })).toEqual([
      'missing cost allocation tag(s) owner',
    ]);
  });
});
