import {
  alertmanagerRelease,
  budget,
  costRules,
  deployment,
  goodStack,
  gpuNodeGroup,
  inferenceContainer,
  lines,
  pdb,
  prodConfig,
  redisGroup,
  resource,
  runPack,
  slaRules,
  snsTopicWithSubscription,
  costTags,
} from './support/stack';
import { readStackFile, stackFile, parseStackConfig } from '@ml-platform/stack-config';
import type { PlainResource } from '../src/core/resources';

const devConfig = () => parseStackConfig(readStackFile(stackFile('dev')), 'dev');

/** The good stack with the resources of the given type replaced. */
function withReplaced(type: string, ...replacements: PlainResource[]): PlainResource[] {
  return [...goodStack().filter((r) => r.type !== type), ...replacements];
}

async function violationsOf(resources: PlainResource[], policy: string, opts = {}): Promise<string[]> {
  return lines(await runPack(resources, opts)).filter((l) => l.startsWith(`${policy}: `));
}

describe('cost-alerts', () => {
  const others = () => goodStack().filter((r) => r.name !== 'inference-cost');

  it('passes the cost alerts the program generates from the budget', async () => {
    expect(await violationsOf(goodStack(), 'cost-alerts')).toEqual([]);
  });

  it('fails a stack with a budget and no cost alerts', async () => {
    expect(await violationsOf(others(), 'cost-alerts')).toEqual([
      'cost-alerts: no PrometheusRule alert on cost per 1k predictions (inference_cost_usd_total over inference_requests_total)',
      'cost-alerts: no PrometheusRule alert on the serving run-rate (inference_cost_usd_total)',
    ]);
  });

  it('fails thresholds the budget cannot afford', async () => {
    expect(await violationsOf([...others(), costRules(0.05, 15000)], 'cost-alerts')).toEqual([
      "cost-alerts: cost per 1k predictions (inference_cost_usd_total over inference_requests_total) alert is looser than the budget: InferenceCostPer1kAboveBudget > 0.05; the budget's 15000 USD over a month at the SLA peak of 500 req/s is 0.0114155",
      "cost-alerts: the serving run-rate (inference_cost_usd_total) alert is looser than the budget: InferenceCostRunRateAboveBudget > 15000; the budget's first threshold (50% of 15000 USD) is 7500",
    ]);
  });

  it('does not apply to a stack without a budget', async () => {
    const local = parseStackConfig(readStackFile(stackFile('local')));
    expect(
      lines(await runPack(others(), { stackConfig: local })).filter((l) => l.startsWith('cost-alerts')),
    ).toEqual([]);
  });
});

describe('the whole pack on a good prod stack', () => {
  it('reports nothing', async () => {
    expect(lines(await runPack(goodStack()))).toEqual([]);
  });
});

describe('sla-alerts (stack policy)', () => {
  const rules = 'kubernetes:monitoring.coreos.com/v1:PrometheusRule';

  it('rejects a p99 alert above the SLA p99, naming both numbers', async () => {
    expect(await violationsOf(withReplaced(rules, slaRules(0.25)), 'sla-alerts')).toEqual([
      'sla-alerts: p99 latency alert is looser than the SLA: InferenceLatencyP99AboveSla > 250ms for 5m; ' +
        'the SLA p99 is 100ms and the alert must fire within 15m',
    ]);
  });

  it('rejects a burn-rate alert that waits for more than 14.4x the error budget', async () => {
    const [v] = await violationsOf(withReplaced(rules, slaRules(0.1, 0.05)), 'sla-alerts');
    expect(v).toContain('error alerts are looser than the SLA: InferenceErrorBudgetBurnFast > 0.05/0.05');
    expect(v).toContain(
      'the SLA error budget is 0.001 (0.1%), so a burn-rate alert may fire at no more than 14.4x = 0.0144',
    );
  });

  it('accepts a tighter alert and honours a tuned maxBurnRate', async () => {
    expect(await violationsOf(withReplaced(rules, slaRules(0.08, 0.001)), 'sla-alerts')).toEqual([]);
    const strict = { config: { 'sla-alerts': { maxBurnRate: 6 } } };
    expect(await violationsOf(goodStack(), 'sla-alerts', strict)).toHaveLength(1);
  });

  it('reports a bad errorAlertPattern setting instead of crashing', async () => {
    const bad = { config: { 'sla-alerts': { errorAlertPattern: '(' } } };
    expect(await violationsOf(goodStack(), 'sla-alerts', bad)).toEqual([
      'sla-alerts: setting errorAlertPattern: Invalid regular expression: /(/i: Unterminated group',
    ]);
  });

  it('requires both alerts to exist', async () => {
    expect(
      await violationsOf(
        goodStack().filter((r) => r.type !== rules),
        'sla-alerts',
      ),
    ).toEqual([
      'sla-alerts: no PrometheusRule alert on p99 latency (histogram_quantile(0.99, ...))',
      'sla-alerts: no PrometheusRule error-rate or burn-rate alert (alert name matching /error|burn/i)',
    ]);
  });

  it('rejects alerts that route only to a receiver without integrations', async () => {
    const release = alertmanagerRelease([{ name: 'null' }], { receiver: 'null' });
    const v = await violationsOf(withReplaced('kubernetes:helm.sh/v3:Release', release), 'sla-alerts');
    expect(v).toEqual([
      'sla-alerts: alert InferenceLatencyP99AboveSla routes to no receiver with a notification target (Helm release kube-prometheus-stack)',
      'sla-alerts: alert InferenceErrorBudgetBurnFast routes to no receiver with a notification target (Helm release kube-prometheus-stack)',
    ]);
  });

  it('follows the route tree: a child route that does not match leaves the alert at the null root', async () => {
    const release = alertmanagerRelease(undefined, {
      receiver: 'null',
      routes: [{ matchers: ['severity="critical"'], receiver: 'sns' }],
    });
    expect(
      await violationsOf(withReplaced('kubernetes:helm.sh/v3:Release', release), 'sla-alerts'),
    ).toHaveLength(2);
  });

  it('needs the SNS topic an alert goes to to have a subscription', async () => {
    const noSubscription = goodStack().filter(
      (r) => r.type !== 'aws:sns/topicSubscription:TopicSubscription',
    );
    expect(await violationsOf(noSubscription, 'sla-alerts')).toHaveLength(2);
  });

  it('can drop the routing requirement per stack (a laptop stack) while still checking thresholds', async () => {
    const release = alertmanagerRelease([{ name: 'null' }], { receiver: 'null' });
    const noRoute = { config: { 'sla-alerts': { requireNotificationRoute: false } } };
    expect(
      await violationsOf(withReplaced('kubernetes:helm.sh/v3:Release', release), 'sla-alerts', noRoute),
    ).toEqual([]);
    expect(await violationsOf(withReplaced(rules, slaRules(0.2)), 'sla-alerts', noRoute)).toHaveLength(1);
  });

  it('accepts a webhook receiver', async () => {
    const release = alertmanagerRelease(
      [{ name: 'null' }, { name: 'chat', webhook_configs: [{ url: 'https://hooks.example.com/x' }] }],
      { receiver: 'chat' },
    );
    expect(await violationsOf(withReplaced('kubernetes:helm.sh/v3:Release', release), 'sla-alerts')).toEqual(
      [],
    );
  });

  it('reads the SLA from the stack config: the same rules are fine for dev (p99 150ms, budget 1%)', async () => {
    expect(
      await violationsOf(withReplaced(rules, slaRules(0.15, 0.144)), 'sla-alerts', {
        stackConfig: devConfig(),
      }),
    ).toEqual([]);
    expect(await violationsOf(withReplaced(rules, slaRules(0.15, 0.144)), 'sla-alerts')).toHaveLength(2);
  });
});

describe('cloudwatch-alarm-actions (resource policy)', () => {
  const alarm = (props: Record<string, unknown>) =>
    resource('aws:cloudwatch/metricAlarm:MetricAlarm', 'redis-cpu', {
      tags: costTags(),
      comparisonOperator: 'GreaterThanThreshold',
      ...props,
    });
  it('passes an alarm with an action and rejects one without', async () => {
    expect(
      await violationsOf(
        [...goodStack(), alarm({ alarmActions: ['arn:aws:sns:us-east-1:1:alerts'] })],
        'cloudwatch-alarm-actions',
      ),
    ).toEqual([]);
    expect(await violationsOf([...goodStack(), alarm({})], 'cloudwatch-alarm-actions')).toEqual([
      'cloudwatch-alarm-actions: no alarmActions: the alarm notifies nobody (add the SNS alerts topic)',
    ]);
    expect(
      await violationsOf(
        [...goodStack(), alarm({ alarmActions: ['x'], actionsEnabled: false })],
        'cloudwatch-alarm-actions',
      ),
    ).toEqual(['cloudwatch-alarm-actions: actionsEnabled is false']);
  });
});

describe('inference-rate-limit (resource policy)', () => {
  const withEnv = (env: Record<string, unknown>[]) =>
    withReplaced('kubernetes:apps/v1:Deployment', deployment('inference', inferenceContainer({ env })));
  const keys = { name: 'API_KEYS_FILE', value: '/var/run/secrets/api-keys/keys' };

  it('reports rate limiting off when the env is missing', async () => {
    expect(await violationsOf(withEnv([keys]), 'inference-rate-limit')).toEqual([
      'inference-rate-limit: container "server" does not set RATE_LIMIT_RPS: rate limiting is off',
      'inference-rate-limit: container "server" does not set RATE_LIMIT_BURST: rate limiting is off',
    ]);
  });

  it('rejects zero, non-numbers, and values above the configured maxima', async () => {
    const v = await violationsOf(
      withEnv([{ name: 'RATE_LIMIT_RPS', value: '0' }, { name: 'RATE_LIMIT_BURST', value: '1.5' }, keys]),
      'inference-rate-limit',
    );
    expect(v).toEqual([
      'inference-rate-limit: container "server" RATE_LIMIT_RPS="0" must be a positive number',
      'inference-rate-limit: container "server" RATE_LIMIT_BURST="1.5" must be a positive integer',
    ]);
    const high = withEnv([
      { name: 'RATE_LIMIT_RPS', value: '1000000' },
      { name: 'RATE_LIMIT_BURST', value: '200' },
      keys,
    ]);
    expect(await violationsOf(high, 'inference-rate-limit')).toEqual([
      'inference-rate-limit: container "server" RATE_LIMIT_RPS=1000000 is above the allowed maximum 10000',
    ]);
    const tuned = { config: { 'inference-rate-limit': { maxRequestsPerSecond: 50 } } };
    expect(await violationsOf(goodStack(), 'inference-rate-limit', tuned)).toEqual([
      'inference-rate-limit: container "server" RATE_LIMIT_RPS=100 is above the allowed maximum 50',
    ]);
  });

  it('asks for literal values rather than references', async () => {
    const v = await violationsOf(
      withEnv([
        { name: 'RATE_LIMIT_RPS', valueFrom: { configMapKeyRef: { name: 'limits', key: 'rps' } } },
        { name: 'RATE_LIMIT_BURST', value: '200' },
        keys,
      ]),
      'inference-rate-limit',
    );
    expect(v).toEqual([
      'inference-rate-limit: container "server" takes RATE_LIMIT_RPS from a reference; set it as a literal value so it can be reviewed',
    ]);
  });

  it('leaves workloads that are not the inference service alone', async () => {
    const other = deployment('exporter', inferenceContainer({ env: [] }), {
      selector: { matchLabels: { app: 'x' } },
      template: {
        metadata: { labels: { app: 'x' } },
        spec: { containers: [inferenceContainer({ env: [] })] },
      },
    });
    expect(await violationsOf([...goodStack(), other], 'inference-rate-limit')).toEqual([]);
  });
});

describe('inference-auth (resource policy, environment from the stack config)', () => {
  const withContainer = (over: Record<string, unknown>) =>
    withReplaced('kubernetes:apps/v1:Deployment', deployment('inference', inferenceContainer(over)));
  const limits = [
    { name: 'RATE_LIMIT_RPS', value: '100' },
    { name: 'RATE_LIMIT_BURST', value: '200' },
  ];

  it('reports auth off in prod and allows it in dev', async () => {
    const off = withContainer({ env: limits });
    expect(await violationsOf(off, 'inference-auth')).toEqual([
      'inference-auth: container "server" sets neither API_KEYS nor API_KEYS_FILE: authentication is off',
    ]);
    expect(await violationsOf(off, 'inference-auth', { stackConfig: devConfig() })).toEqual([]);
  });

  it('accepts API_KEYS from a secretKeyRef and rejects a literal', async () => {
    const fromSecret = withContainer({
      env: [...limits, { name: 'API_KEYS', valueFrom: { secretKeyRef: { name: 'api-keys', key: 'keys' } } }],
    });
    expect(await violationsOf(fromSecret, 'inference-auth')).toEqual([]);
    const literal = withContainer({ env: [...limits, { name: 'API_KEYS', value: 'k1:secret' }] });
    expect(await violationsOf(literal, 'inference-auth')).toEqual([
      'inference-auth: container "server" API_KEYS is not read from a Secret (valueFrom.secretKeyRef)',
    ]);
  });

  it('rejects an API_KEYS_FILE that is not on a Secret volume', async () => {
    const v = await violationsOf(
      withContainer({ env: [...limits, { name: 'API_KEYS_FILE', value: '/etc/keys/keys' }] }),
      'inference-auth',
    );
    expect(v).toEqual([
      'inference-auth: container "server" API_KEYS_FILE=/etc/keys/keys is not on a volume mounted from a Secret',
    ]);
  });
});

describe('public-ingress-waf (stack policy)', () => {
  const ingress = (annotations: Record<string, string>) =>
    resource('kubernetes:networking.k8s.io/v1:Ingress', 'inference', {
      metadata: {
        name: 'inference',
        namespace: 'inference',
        annotations: { 'alb.ingress.kubernetes.io/scheme': 'internet-facing', ...annotations },
      },
    });
  const acl = (rules: Record<string, unknown>[]) =>
    resource('aws:wafv2/webAcl:WebAcl', 'inference', { scope: 'REGIONAL', rules, tags: costTags() });
  const rateRule = {
    name: 'rate',
    priority: 0,
    action: { block: {} },
    statement: { rateBasedStatement: { limit: 2000, aggregateKeyType: 'IP' } },
  };
  const waf = { 'alb.ingress.kubernetes.io/wafv2-acl-arn': 'arn:aws:wafv2:us-east-1:1:regional/webacl/x' };

  it('requires a WAF with a rate-based rule in front of an internet-facing Ingress', async () => {
    expect(await violationsOf([...goodStack(), ingress({})], 'public-ingress-waf')).toEqual([
      'public-ingress-waf: public Ingress inference has no alb.ingress.kubernetes.io/wafv2-acl-arn annotation: no WAF rate limit',
    ]);
    expect(await violationsOf([...goodStack(), ingress(waf), acl([])], 'public-ingress-waf')).toEqual([
      'public-ingress-waf: public Ingress inference is behind a WAF, but no WebAcl in the stack has a rate-based rule',
    ]);
    expect(await violationsOf([...goodStack(), ingress(waf), acl([rateRule])], 'public-ingress-waf')).toEqual(
      [],
    );
  });

  it('ignores internal ingresses and accepts a configured edge-limit annotation', async () => {
    const internal = resource('kubernetes:networking.k8s.io/v1:Ingress', 'internal', {
      metadata: { annotations: { 'alb.ingress.kubernetes.io/scheme': 'internal' } },
    });
    expect(await violationsOf([...goodStack(), internal], 'public-ingress-waf')).toEqual([]);
    const cdn = {
      config: { 'public-ingress-waf': { edgeLimitAnnotations: ['example.com/cdn-rate-limit'] } },
    };
    expect(
      await violationsOf(
        [...goodStack(), ingress({ 'example.com/cdn-rate-limit': '100/s' })],
        'public-ingress-waf',
        cdn,
      ),
    ).toEqual([]);
  });
});

describe('budget-notifications (resource policy)', () => {
  const n = (notificationType: string, threshold: number, subscribers = ['ops@example.com']) => ({
    comparisonOperator: 'GREATER_THAN',
    notificationType,
    threshold,
    thresholdType: 'PERCENTAGE',
    subscriberEmailAddresses: subscribers,
  });
  const check = (notifications: Record<string, unknown>[]) =>
    violationsOf(
      withReplaced('aws:budgets/budget:Budget', budget('15000.00', notifications)),
      'budget-notifications',
    );

  it('needs an ACTUAL notification at or below 80%', async () => {
    expect(await check([n('ACTUAL', 90), n('FORECASTED', 100)])).toEqual([
      'budget-notifications: no ACTUAL notification at or below 80% of the limit (ACTUAL thresholds: 90%)',
    ]);
  });

  it('needs a FORECASTED notification at 100%', async () => {
    expect(await check([n('ACTUAL', 80), n('FORECASTED', 120)])).toEqual([
      'budget-notifications: no FORECASTED notification at 100% of the limit',
    ]);
  });

  it('needs subscribers on both', async () => {
    expect(await check([n('ACTUAL', 80, []), n('FORECASTED', 100, [])])).toEqual([
      'budget-notifications: notification "ACTUAL GREATER_THAN 80%" has no subscribers (email or SNS topic)',
      'budget-notifications: notification "FORECASTED GREATER_THAN 100%" has no subscribers (email or SNS topic)',
    ]);
  });
});

describe('budget-covers-max-cost (stack policy)', () => {
  it('rejects a limit below the estimated cost at maximum scale', async () => {
    expect(
      await violationsOf(
        withReplaced('aws:budgets/budget:Budget', budget('1000.00')),
        'budget-covers-max-cost',
      ),
    ).toEqual([
      'budget-covers-max-cost: budget budget limit $1000.00/month is below the estimated cost at maximum scale ' +
        '$3933.43/month: raise the limit or lower the maximum node counts',
    ]);
  });

  it('honours the headroom setting', async () => {
    const headroom = { config: { 'budget-covers-max-cost': { minHeadroomPct: 10 } } };
    const v = await violationsOf(
      withReplaced('aws:budgets/budget:Budget', budget('4000.00')),
      'budget-covers-max-cost',
      headroom,
    );
    expect(v).toEqual([
      'budget-covers-max-cost: budget budget limit $4000.00/month is below the estimated cost at maximum scale ' +
        '$3933.43/month plus 10% headroom = $4326.77: raise the limit or lower the maximum node counts',
    ]);
  });

  it('requires a budget when the stack has AWS resources, and nothing without them', async () => {
    expect(
      await violationsOf(
        goodStack().filter((r) => r.type !== 'aws:budgets/budget:Budget'),
        'budget-covers-max-cost',
      ),
    ).toEqual([
      'budget-covers-max-cost: the stack creates AWS resources but no AWS Budget (aws:budgets/budget:Budget)',
    ]);
    expect(await violationsOf([deployment(), pdb()], 'budget-covers-max-cost')).toEqual([]);
  });
});

describe('gpu-node-groups (resource policy)', () => {
  const check = (g: PlainResource, opts = {}) =>
    violationsOf(withReplaced('aws:eks/nodeGroup:NodeGroup', g), 'gpu-node-groups', opts);

  it('rejects a group above the cap and one without a max', async () => {
    expect(
      await check(gpuNodeGroup({ scalingConfig: { minSize: 0, desiredSize: 0, maxSize: 100 } })),
    ).toEqual(['gpu-node-groups: scalingConfig.maxSize 100 is above the GPU node cap 16']);
    expect(await check(gpuNodeGroup({ scalingConfig: { minSize: 0, desiredSize: 0 } }))).toEqual([
      'gpu-node-groups: scalingConfig.maxSize is not set: the group is unbounded',
    ]);
    expect(await check(gpuNodeGroup(), { config: { 'gpu-node-groups': { maxNodes: 2 } } })).toEqual([
      'gpu-node-groups: scalingConfig.maxSize 4 is above the GPU node cap 2',
    ]);
  });

  it('rejects a GPU group without the NVIDIA AMI or the taint', async () => {
    expect(await check(gpuNodeGroup({ amiType: 'AL2023_x86_64_STANDARD', taints: [] }))).toEqual([
      'gpu-node-groups: amiType "AL2023_x86_64_STANDARD" is not a GPU AMI type (allowed: AL2023_x86_64_NVIDIA, AL2023_ARM_64_NVIDIA, BOTTLEROCKET_x86_64_NVIDIA, BOTTLEROCKET_ARM_64_NVIDIA)',
      'gpu-node-groups: no taint nvidia.com/gpu=true:NO_SCHEDULE, so ordinary pods can land on GPU nodes',
    ]);
  });

  it('rejects instance families outside the allowed list', async () => {
    expect(await check(gpuNodeGroup({ instanceTypes: ['p4d.24xlarge'] }))).toEqual([
      'gpu-node-groups: instance families p4d are not allowed (allowed: g4dn, g5, g6, g6e)',
    ]);
  });

  it('checks @pulumi/eks ManagedNodeGroup inputs the same way and ignores CPU groups', async () => {
    const component = resource('eks:index:ManagedNodeGroup', 'gpu-g5', {
      ...gpuNodeGroup().props,
      scalingConfig: { maxSize: 40 },
    });
    expect(await violationsOf([...goodStack(), component], 'gpu-node-groups')).toEqual([
      'gpu-node-groups: scalingConfig.maxSize 40 is above the GPU node cap 16',
    ]);
    const cpu = gpuNodeGroup({
      instanceTypes: ['m6i.large'],
      amiType: 'AL2023_x86_64_STANDARD',
      taints: [],
      labels: {},
      scalingConfig: { maxSize: 50 },
    });
    expect(await check(cpu)).toEqual([]);
  });

  it('reads Karpenter instance families from an instance-type requirement too', async () => {
    const pool = resource('kubernetes:karpenter.sh/v1:NodePool', 'gpu', {
      spec: {
        template: {
          spec: {
            requirements: [
              {
                key: 'node.kubernetes.io/instance-type',
                operator: 'In',
                values: ['g5.xlarge', 'p4d.24xlarge'],
              },
            ],
            taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }],
          },
        },
        limits: { 'nvidia.com/gpu': '4' },
      },
    });
    expect(await violationsOf([...goodStack(), pool], 'gpu-node-groups')).toEqual([
      'gpu-node-groups: instance families p4d are not allowed (allowed: g4dn, g5, g6, g6e)',
    ]);
  });

  it('bounds a Karpenter GPU NodePool', async () => {
    const pool = (spec: Record<string, unknown>, limits?: Record<string, unknown>) =>
      resource('kubernetes:karpenter.sh/v1:NodePool', 'gpu', {
        spec: { template: { spec }, ...(limits ? { limits } : {}) },
      });
    const good = pool(
      {
        requirements: [{ key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['g5', 'g6'] }],
        taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }],
      },
      { 'nvidia.com/gpu': 8 },
    );
    expect(await violationsOf([...goodStack(), good], 'gpu-node-groups')).toEqual([]);
    const bad = pool({
      requirements: [{ key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['p5'] }],
    });
    expect(await violationsOf([...goodStack(), bad], 'gpu-node-groups')).toEqual([
      'gpu-node-groups: no taint nvidia.com/gpu:NoSchedule in spec.template.spec.taints',
      'gpu-node-groups: spec.limits["nvidia.com/gpu"] is not set: the pool is unbounded',
      'gpu-node-groups: instance families p5 are not allowed (allowed: g4dn, g5, g6, g6e)',
    ]);
  });
});

describe('redis guardrails', () => {
  const check = (g: PlainResource, policy: string, opts = {}) =>
    violationsOf(withReplaced('aws:elasticache/replicationGroup:ReplicationGroup', g), policy, opts);

  it('redis-encryption: each missing protection is named', async () => {
    expect(
      await check(
        redisGroup({ transitEncryptionEnabled: false, atRestEncryptionEnabled: false, authToken: undefined }),
        'redis-encryption',
      ),
    ).toEqual([
      'redis-encryption: transitEncryptionEnabled is not true: traffic is plaintext',
      'redis-encryption: atRestEncryptionEnabled is not true: snapshots and swap are unencrypted',
      'redis-encryption: no authToken (or RBAC userGroupIds): any client in the network can read and write',
    ]);
    expect(await check(redisGroup({ transitEncryptionMode: 'preferred' }), 'redis-encryption')).toEqual([
      'redis-encryption: transitEncryptionMode is "preferred": plaintext clients are still accepted',
    ]);
  });

  it('redis-encryption: a standalone cache cluster is rejected', async () => {
    const cluster = resource('aws:elasticache/cluster:Cluster', 'cache', {
      engine: 'redis',
      tags: costTags(),
    });
    expect(await violationsOf([...goodStack(), cluster], 'redis-encryption')).toEqual([
      'redis-encryption: a standalone cache cluster cannot have an auth token and failover: use a replication group',
    ]);
  });

  it('redis-high-availability: prod needs failover, multi-AZ and a replica; dev does not', async () => {
    const single = redisGroup({
      automaticFailoverEnabled: false,
      multiAzEnabled: false,
      numCacheClusters: 1,
    });
    expect(await check(single, 'redis-high-availability')).toEqual([
      'redis-high-availability: automaticFailoverEnabled is not true',
      'redis-high-availability: multiAzEnabled is not true',
      'redis-high-availability: there is no replica (numCacheClusters < 2 and replicasPerNodeGroup < 1)',
    ]);
    expect(await check(single, 'redis-high-availability', { stackConfig: devConfig() })).toEqual([]);
  });

  it('redis-not-public: world-open rules on the Redis port and external Services', async () => {
    const sg = resource('aws:ec2/securityGroup:SecurityGroup', 'redis', {
      ingress: [{ fromPort: 6379, toPort: 6379, protocol: 'tcp', cidrBlocks: ['0.0.0.0/0'] }],
      tags: costTags(),
    });
    const rule = resource('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', 'redis-all', {
      ipProtocol: '-1',
      cidrIpv6: '::/0',
      tags: costTags(),
    });
    const nodesOnly = resource('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', 'redis-nodes', {
      ipProtocol: 'tcp',
      fromPort: 6379,
      toPort: 6379,
      referencedSecurityGroupId: 'sg-nodes',
      tags: costTags(),
    });
    const svc = resource('kubernetes:core/v1:Service', 'redis', {
      spec: { type: 'LoadBalancer', ports: [{ port: 6379 }] },
    });
    expect(await violationsOf([...goodStack(), sg, rule, nodesOnly, svc], 'redis-not-public')).toEqual([
      'redis-not-public: redis allows ingress from the internet on the Redis port 6379',
      'redis-not-public: redis-all allows ingress from the internet on the Redis port 6379',
      'redis-not-public: redis is a LoadBalancer Service exposing Redis outside the cluster on the Redis port 6379',
    ]);
  });
});

describe('workload guardrails', () => {
  const check = (c: Record<string, unknown>, policy: string, podSpec: Record<string, unknown> = {}) =>
    violationsOf(
      withReplaced('kubernetes:apps/v1:Deployment', deployment('inference', c, {}, podSpec)),
      policy,
    );

  it('workload-resources: requests and limits, and a GPU limit on GPU pods', async () => {
    expect(await check(inferenceContainer({ resources: {} }), 'workload-resources')).toEqual([
      'workload-resources: container "server" has no resources.requests for cpu, memory',
      'workload-resources: container "server" has no resources.limits for memory',
      'workload-resources: the pod targets GPU nodes (toleration or nodeSelector) but no container sets ' +
        'resources.limits["nvidia.com/gpu"]: it would hold a GPU node without a GPU',
    ]);
  });

  it('workload-resources: a DaemonSet node agent on GPU nodes does not claim a GPU', async () => {
    const agent = resource('kubernetes:apps/v1:DaemonSet', 'dcgm-exporter', {
      ...deployment(
        'dcgm-exporter',
        inferenceContainer({
          resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
        }),
      ).props,
    });
    expect(await violationsOf([...goodStack(), agent], 'workload-resources')).toEqual([]);
  });

  it('workload-security-context: container and pod level, init containers included', async () => {
    expect(
      await check(inferenceContainer({ securityContext: { privileged: true } }), 'workload-security-context'),
    ).toEqual([
      'workload-security-context: container "server": runAsNonRoot is not true; readOnlyRootFilesystem is not true; ' +
        'allowPrivilegeEscalation is not false; privileged is true',
    ]);
    const podLevel = inferenceContainer({
      securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
    });
    expect(
      await check(podLevel, 'workload-security-context', { securityContext: { runAsNonRoot: true } }),
    ).toEqual([]);
    const init = { initContainers: [{ name: 'fetch-models', image: 'busybox:1.36' }] };
    expect(await check(inferenceContainer(), 'workload-security-context', init)).toEqual([
      'workload-security-context: container "fetch-models": runAsNonRoot is not true; readOnlyRootFilesystem is not true; allowPrivilegeEscalation is not false',
    ]);
  });

  it('workload-image-pinned: latest, untagged and registry ports', async () => {
    expect(
      await check(inferenceContainer({ image: 'ghcr.io/example/svc:latest' }), 'workload-image-pinned'),
    ).toEqual([
      'workload-image-pinned: container "server" image "ghcr.io/example/svc:latest" uses the mutable tag "latest"',
    ]);
    expect(
      await check(inferenceContainer({ image: 'registry:5000/example/svc' }), 'workload-image-pinned'),
    ).toEqual([
      'workload-image-pinned: container "server" image "registry:5000/example/svc" has no tag, so it means "latest"',
    ]);
    const digest = `ghcr.io/example/svc@sha256:${'a'.repeat(64)}`;
    expect(await check(inferenceContainer({ image: digest }), 'workload-image-pinned')).toEqual([]);
  });

  it('workload-probes: both probes', async () => {
    expect(await check(inferenceContainer({ livenessProbe: undefined }), 'workload-probes')).toEqual([
      'workload-probes: container "server" has no livenessProbe',
    ]);
  });
});

describe('prod-availability (stack policy)', () => {
  const hpa = (minReplicas: number) =>
    resource('kubernetes:autoscaling/v2:HorizontalPodAutoscaler', 'inference', {
      metadata: { name: 'inference', namespace: 'inference' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'inference' },
        minReplicas,
        maxReplicas: 20,
      },
    });
  const scaledObject = (minReplicaCount?: number) =>
    resource('kubernetes:keda.sh/v1alpha1:ScaledObject', 'inference', {
      metadata: { name: 'inference', namespace: 'inference' },
      spec: {
        scaleTargetRef: { name: 'inference' },
        ...(minReplicaCount === undefined ? {} : { minReplicaCount }),
        maxReplicaCount: 20,
      },
    });
  const oneReplica = deployment('inference', inferenceContainer(), { replicas: 1 });

  it('needs 2 replicas, or an autoscaler minimum of 2', async () => {
    expect(
      await violationsOf(withReplaced('kubernetes:apps/v1:Deployment', oneReplica), 'prod-availability'),
    ).toEqual([
      'prod-availability: Deployment inference can run 1 replica(s) (spec.replicas); prod needs at least 2',
    ]);
    expect(
      await violationsOf(
        [...withReplaced('kubernetes:apps/v1:Deployment', oneReplica), hpa(2)],
        'prod-availability',
      ),
    ).toEqual([]);
    expect(await violationsOf([...goodStack(), scaledObject()], 'prod-availability')).toEqual([
      'prod-availability: Deployment inference can run 0 replica(s) (ScaledObject inference minReplicaCount); prod needs at least 2',
    ]);
  });

  it('needs a PDB that selects the pods and a zone spread', async () => {
    const v = await violationsOf(
      [
        ...goodStack().filter(
          (r) =>
            r.type !== 'kubernetes:policy/v1:PodDisruptionBudget' &&
            r.type !== 'kubernetes:apps/v1:Deployment',
        ),
        pdb('other', { app: 'other' }),
        deployment(
          'inference',
          inferenceContainer(),
          {},
          { topologySpreadConstraints: [{ topologyKey: 'kubernetes.io/hostname' }] },
        ),
      ],
      'prod-availability',
    );
    expect(v).toEqual([
      'prod-availability: Deployment inference has no PodDisruptionBudget selecting its pods',
      'prod-availability: Deployment inference does not spread its pods over zones (topology.kubernetes.io/zone)',
    ]);
  });

  it('does not apply outside prod', async () => {
    expect(await violationsOf([oneReplica], 'prod-availability', { stackConfig: devConfig() })).toEqual([]);
  });
});

describe('cost-allocation-tags (resource policy)', () => {
  it('names the missing tags, including the budget cost allocation tag', async () => {
    const topic = resource('aws:sns/topic:Topic', 'alerts', {
      tags: { project: 'ml-platform', stack: 'prod' },
    });
    expect(await violationsOf(withReplaced('aws:sns/topic:Topic', topic), 'cost-allocation-tags')).toEqual([
      'cost-allocation-tags: missing cost allocation tag(s) environment, ml-platform-stack',
    ]);
  });

  it('uses the tag key the stack budget is configured with', async () => {
    const cfg = prodConfig({ budget: { ...prodConfig().budget, costAllocationTag: 'team-cost' } });
    expect(await violationsOf(goodStack(), 'cost-allocation-tags', { stackConfig: cfg })).toContain(
      'cost-allocation-tags: missing cost allocation tag(s) team-cost',
    );
  });

  it('checks the tags a component forwards to the AWS resources it creates', async () => {
    const vpc = resource('awsx:ec2:Vpc', 'network', {
      cidrBlock: '10.0.0.0/16',
      tags: { project: 'ml-platform' },
    });
    expect(await violationsOf([...goodStack(), vpc], 'cost-allocation-tags')).toEqual([
      'cost-allocation-tags: missing cost allocation tag(s) stack, environment, ml-platform-stack',
    ]);
    const tagged = resource('eks:index:Cluster', 'cluster', { tags: costTags() });
    expect(await violationsOf([...goodStack(), tagged], 'cost-allocation-tags')).toEqual([]);
  });

  it('skips types AWS cannot tag', async () => {
    const attachment = resource('aws:iam/rolePolicyAttachment:RolePolicyAttachment', 'nodes-ecr', {
      role: 'r',
      policyArn: 'p',
    });
    expect(await violationsOf([...goodStack(), attachment], 'cost-allocation-tags')).toEqual([]);
    const sub = snsTopicWithSubscription()[1];
    expect(sub.props.tags).toBeUndefined();
  });
});
