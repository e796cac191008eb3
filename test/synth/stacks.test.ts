/**
 * Every stack in the repo, synthesised offline under mocks: the properties the platform promises,
 * checked on what the program actually declares for that stack's config.
 */
import { errorBudgetRatio, estimateMonthlyCost, listStacks, PRICE_TABLE } from '@ml-platform/stack-config';
import { parseAllDocuments } from 'yaml';
import { slaRuleGroups } from '@ml-platform/infra/sla-rules';
import { isKubernetesObject, renderManifests, synthStack, type SynthResult } from '@ml-platform/infra/synth';
import { isTaggable } from '@ml-platform/infra/tagging';
import { helmValues, kubeObject, ofType, one, type Json } from '../../infra/test/helpers';
import { validateKubeObjects } from '../../infra/test/k8s-validate';

const stacks = listStacks();
const results = new Map<string, SynthResult>();

beforeAll(async () => {
  for (const stack of stacks) results.set(stack, await synthStack(stack));
}, 120_000);

const get = (stack: string) => {
  const r = results.get(stack);
  if (!r) throw new Error(`stack ${stack} was not synthesised`);
  return r;
};

describe.each(stacks)('stack %s', (stack) => {
  it('declares only Kubernetes objects that validate against the published schemas (CRDs included)', () => {
    const objects = get(stack).resources.filter(isKubernetesObject);
    expect(objects.length).toBeGreaterThan(10);
    const invalid = validateKubeObjects(objects.map((r) => r.inputs))
      .filter((v) => v.error !== null)
      .map((v) => `${objects[v.index].inputs.kind} ${objects[v.index].name}: ${v.error}`);
    expect(invalid).toEqual([]);
    expect(renderManifests(get(stack).resources).size).toBe(objects.length);
  });

  it('writes manifests that YAML 1.1 readers (kubectl, the API server, Helm) read as declared', () => {
    const objects = get(stack).resources.filter(isKubernetesObject);
    // One document per file, read with the 1.1 schema, where `no`, `on`, `y`, `0x1F`, `1_000` and
    // dates are not strings; each must come back equal to what the program declared.
    const readBack = [...renderManifests(get(stack).resources).values()].map((text) => {
      const docs = parseAllDocuments(text, { version: '1.1' });
      if (!Array.isArray(docs) || docs.length !== 1) throw new Error(`expected one document in:\n${text}`);
      return docs[0].toJS() as unknown;
    });
    expect(readBack).toEqual(objects.map((r) => r.inputs));
  });

  it('parents every resource to a component or the stack', () => {
    const { resources } = get(stack);
    const urns = new Set(resources.map((r) => r.urn));
    const roots = resources.filter((r) => r.parent === undefined);
    expect(roots.map((r) => r.type)).toEqual(['pulumi:pulumi:Stack']);
    // index.ts only composes: everything but the components (and the local stack's provider) sits in one.
    const stackUrn = roots[0].urn;
    const direct = resources.filter((r) => r.parent === stackUrn && !r.type.startsWith('ml-platform:'));
    expect(direct.map((r) => r.type)).toEqual(stack === 'local' ? ['pulumi:providers:kubernetes'] : []);
    for (const r of resources) if (r.parent) expect(urns.has(r.parent)).toBe(true);
  });

  it('never writes a generated secret in clear', () => {
    const text = JSON.stringify(get(stack).resources) + JSON.stringify(get(stack).outputs);
    expect(text).not.toContain('mock-random-password');
  });

  it('generates the PrometheusRule from its SLA', () => {
    const { resources, config } = get(stack);
    const rule = kubeObject(resources, 'PrometheusRule', 'inference-sla');
    expect(rule.spec.groups).toEqual(
      slaRuleGroups({
        sla: config.sla,
        namespace: 'inference',
        driftThreshold: config.monitoring.driftThreshold,
        queueSaturationDepth: config.monitoring.queueSaturationDepth,
      }),
    );
    const latency = rule.spec.groups[1].rules.find((r: Json) => r.alert === 'InferenceLatencyP99AboveSla');
    expect(latency.expr).toBe(`inference:latency_p99_seconds:5m > ${config.sla.p99LatencyMs / 1000}`);
  });

  it('runs the service hardened, probed and with the documented env', () => {
    const { resources, config } = get(stack);
    const workload = resources.find(
      (r) =>
        ['Deployment', 'Rollout'].includes(r.inputs.kind as string) &&
        (r.inputs.metadata as Json).name === 'inference',
    );
    expect(workload?.inputs.kind).toBe(config.service.strategy === 'rolling' ? 'Deployment' : 'Rollout');
    const pod = (workload?.inputs as Json).spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const [c] = pod.containers;
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.livenessProbe.httpGet.path).toBe('/v2/health/live');
    expect(c.readinessProbe.httpGet.path).toBe('/v2/health/ready');
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
    const env = Object.fromEntries(c.env.map((e: Json) => [e.name, e]));
    expect(env.PORT.value).toBe('8080');
    expect(env.RATE_LIMIT_RPS.value).toBe(String(config.rateLimit.requestsPerSecond));
    expect(env.RATE_LIMIT_BURST.value).toBe(String(config.rateLimit.burst));
    expect(Number(env.REQUEST_TIMEOUT_MS.value)).toBeGreaterThanOrEqual(config.sla.p99LatencyMs);
    expect(env.REDIS_URL.valueFrom.secretKeyRef).toEqual({ name: 'redis', key: 'url' });
    expect(env.API_KEYS_FILE !== undefined).toBe(config.service.auth);
    // What the pod costs: its GPU node's price over the node's GPUs (every cloud stack here serves
    // on GPUs), nothing locally.
    const gpuNode = config.cluster?.gpuNodeGroups[0]?.instanceTypes[0];
    expect(config.service.gpu).toBe(gpuNode !== undefined);
    const podCost = gpuNode ? PRICE_TABLE.ec2[gpuNode] / PRICE_TABLE.ec2Gpus[gpuNode] : 0;
    expect(Number(env.POD_COST_PER_HOUR_USD.value)).toBeCloseTo(podCost, 9);
    expect(pod.topologySpreadConstraints.map((t: Json) => t.topologyKey)).toContain(
      'topology.kubernetes.io/zone',
    );
    expect(kubeObject(resources, 'PodDisruptionBudget', 'inference').spec.maxUnavailable).toBe(1);
    expect(kubeObject(resources, 'NetworkPolicy', 'inference').spec.policyTypes).toEqual([
      'Ingress',
      'Egress',
    ]);
  });

  it('scales pods between the configured bounds', () => {
    const { resources, config } = get(stack);
    const { minReplicas, maxReplicas, keda } = config.autoscaling.pods;
    const scaler = keda
      ? kubeObject(resources, 'ScaledObject', 'inference')
      : kubeObject(resources, 'HorizontalPodAutoscaler', 'inference');
    if (keda) {
      expect(scaler.spec).toMatchObject({ minReplicaCount: minReplicas, maxReplicaCount: maxReplicas });
      expect(scaler.spec.triggers[0].metadata.query).toContain('inference_queue_depth');
    } else {
      expect(scaler.spec).toMatchObject({ minReplicas, maxReplicas });
    }
  });

  it('exports what the deploy gate and its rollback read', () => {
    const { config, outputs } = get(stack);
    expect(outputs).toMatchObject({
      serviceName: 'inference',
      serviceNamespace: expect.any(String),
      serviceStrategy: config.service.strategy,
    });
    // Under mocks the load balancer has no hostname yet; a configured host or the in-cluster URL is known.
    expect(outputs.endpoint).toMatch(/^https?:\/\//);
  });

  it('reports the cost estimate of its config as an output', () => {
    const { config, outputs, costEstimate } = get(stack);
    expect(outputs.costEstimate).toEqual(estimateMonthlyCost(config));
    expect(costEstimate.maxMonthlyUsd).toBeGreaterThanOrEqual(costEstimate.minMonthlyUsd);
    if (config.budget) expect(costEstimate.maxMonthlyUsd).toBeLessThanOrEqual(config.budget.monthlyLimitUsd);
  });
});

describe.each(stacks.filter((s) => s !== 'local'))('cloud stack %s', (stack) => {
  it('tags every taggable AWS resource with the cost allocation tag', () => {
    const { resources } = get(stack);
    const tagged = resources.filter((r) => isTaggable(r.type));
    expect(tagged.length).toBeGreaterThan(20);
    for (const r of tagged)
      expect([r.type, r.name, (r.inputs.tags as Json)?.['ml-platform-stack']]).toEqual([
        r.type,
        r.name,
        stack,
      ]);
  });

  it('has GPU capacity on the NVIDIA AMI, tainted, from zero, bounded', () => {
    const { resources, config } = get(stack);
    const groups = config.cluster?.gpuNodeGroups ?? [];
    expect(groups.length).toBeGreaterThan(0);
    if (config.autoscaling.nodes === 'karpenter') {
      for (const g of groups) {
        const pool = kubeObject(resources, 'NodePool', `gpu-${g.name}`);
        expect(pool.spec.template.spec.taints).toEqual([
          { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' },
        ]);
        expect(pool.spec.limits['nvidia.com/gpu']).toBe(String(g.max));
        expect(pool.spec.disruption.consolidationPolicy).toBe('WhenEmptyOrUnderutilized');
      }
      expect(ofType(resources, 'aws:sqs/queue:Queue')).toHaveLength(1);
    } else {
      for (const g of groups) {
        const ng = one(resources, 'aws:eks/nodeGroup:NodeGroup', `gpu-${g.name}`).inputs as Json;
        expect(ng.amiType).toBe('AL2023_x86_64_NVIDIA');
        expect(ng.taints).toEqual([{ key: 'nvidia.com/gpu', value: 'true', effect: 'NO_SCHEDULE' }]);
        expect(ng.scalingConfig).toMatchObject({ minSize: g.min, maxSize: g.max });
        expect(ng.capacityType).toBe(g.capacityType);
        expect(ng.tags['k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu']).toBe(
          'true:NoSchedule',
        );
      }
    }
    expect(kubeObject(resources, 'ServiceMonitor', 'dcgm-exporter').spec.endpoints[0].port).toBe('metrics');
  });

  it('runs Redis encrypted, with an auth token, private, alarmed, failing over in prod', () => {
    const { resources, config } = get(stack);
    const rg = one(resources, 'aws:elasticache/replicationGroup:ReplicationGroup').inputs as Json;
    expect(rg).toMatchObject({
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      authToken: '[secret]',
    });
    expect(rg.numCacheClusters).toBe((config.redis?.replicas ?? 0) + 1);
    if (config.environment === 'prod')
      expect(rg).toMatchObject({ automaticFailoverEnabled: true, multiAzEnabled: true });
    const ingress = one(resources, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule')
      .inputs as Json;
    expect(ingress).toMatchObject({
      fromPort: 6379,
      toPort: 6379,
      referencedSecurityGroupId: 'sg-eks-cluster',
    });
    expect(ingress.cidrIpv4).toBeUndefined();
    const all = ofType(resources, 'aws:cloudwatch/metricAlarm:MetricAlarm').map((r) => r.inputs as Json);
    for (const a of all) expect(a.alarmActions).toEqual([expect.stringMatching(/^arn:aws:sns:/)]);
    const alarms = all.filter((a) => a.namespace === 'AWS/ElastiCache');
    expect(new Set(alarms.map((a) => a.metricName))).toEqual(
      new Set([
        'EngineCPUUtilization',
        'DatabaseMemoryUsagePercentage',
        'Evictions',
        ...(config.redis!.replicas > 0 ? ['ReplicationLag'] : []),
      ]),
    );
    for (const a of alarms) expect(a.alarmActions).toHaveLength(1);
  });

  it('has a monthly budget with ACTUAL notifications per threshold and a FORECASTED one at 100%', () => {
    const { resources, config } = get(stack);
    const budget = one(resources, 'aws:budgets/budget:Budget').inputs as Json;
    expect(budget.limitAmount).toBe(config.budget!.monthlyLimitUsd.toFixed(2));
    expect(budget.timeUnit).toBe('MONTHLY');
    const actual = budget.notifications
      .filter((n: Json) => n.notificationType === 'ACTUAL')
      .map((n: Json) => n.threshold);
    expect(actual).toEqual([...config.budget!.alertThresholdsPct].sort((a, b) => a - b));
    expect(
      budget.notifications
        .filter((n: Json) => n.notificationType === 'FORECASTED')
        .map((n: Json) => n.threshold),
    ).toEqual([100]);
    expect(budget.costFilters).toEqual([
      { name: 'TagKeyValue', values: [`user:ml-platform-stack$${stack}`] },
    ]);
  });

  it('keeps the model bucket versioned, encrypted and private, readable by the service only', () => {
    const { resources } = get(stack);
    expect(
      (one(resources, 'aws:s3/bucketVersioning:BucketVersioning').inputs as Json).versioningConfiguration
        .status,
    ).toBe('Enabled');
    expect(one(resources, 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock').inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const policy = JSON.parse(
      (one(resources, 'aws:iam/rolePolicy:RolePolicy', 'inference-models').inputs as Json).policy,
    );
    const actions = policy.Statement.flatMap((s: Json) => [s.Action].flat());
    expect(actions.sort()).toEqual(['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket']);
  });

  it('judges canary/blue-green rollouts against the SLA', () => {
    const { resources, config } = get(stack);
    if (config.service.strategy === 'rolling') return;
    const analysis = kubeObject(resources, 'AnalysisTemplate', 'inference-sla');
    const conditions = Object.fromEntries(
      analysis.spec.metrics.map((m: Json) => [m.name, m.successCondition]),
    );
    expect(conditions['p99-latency']).toContain(`<= ${config.sla.p99LatencyMs / 1000}`);
    expect(conditions['error-rate']).toContain(`<= ${errorBudgetRatio(config.sla)}`);
    const rollout = kubeObject(resources, 'Rollout', 'inference');
    const steps = rollout.spec.strategy.canary?.steps ?? [];
    if (config.service.strategy === 'canary')
      expect(steps.filter((s: Json) => s.analysis).length).toBeGreaterThan(0);
  });

  it('exposes the API through an ALB, behind a WAF rate-based rule where configured', () => {
    const { resources, config } = get(stack);
    const ingress = kubeObject(resources, 'Ingress', 'inference');
    expect(ingress.spec.ingressClassName).toBe('alb');
    expect(ingress.spec.rules[0].http.paths.map((p: Json) => p.path)).toEqual(['/v2']);
    const limit = config.ingress.wafRateLimitPer5Min;
    if (limit === undefined) {
      expect(ofType(resources, 'aws:wafv2/webAcl:WebAcl')).toEqual([]);
      expect(ingress.metadata.annotations['alb.ingress.kubernetes.io/wafv2-acl-arn']).toBeUndefined();
    } else {
      const acl = one(resources, 'aws:wafv2/webAcl:WebAcl').inputs as Json;
      expect(acl.rules[0].statement.rateBasedStatement).toMatchObject({ aggregateKeyType: 'IP', limit });
      expect(ingress.metadata.annotations['alb.ingress.kubernetes.io/wafv2-acl-arn']).toMatch(
        /^arn:aws:wafv2:/,
      );
    }
    expect(helmValues(resources, 'aws-load-balancer-controller').clusterName).toBe(`ml-platform-${stack}`);
  });
});

describe('local stack', () => {
  it('declares no AWS resources, runs Redis in the cluster and the service on CPU', () => {
    const { resources } = get('local');
    expect(
      resources.filter(
        (r) => r.type.startsWith('aws:') || r.type.startsWith('eks:') || r.type.startsWith('awsx:'),
      ),
    ).toEqual([]);
    expect(kubeObject(resources, 'Deployment', 'redis').spec.template.spec.containers[0].image).toMatch(
      /^redis:/,
    );
    const pod = kubeObject(resources, 'Deployment', 'inference').spec.template.spec;
    expect(JSON.stringify(pod)).not.toContain('nvidia.com/gpu');
    expect(pod.nodeSelector).toBeUndefined();
  });
});
