import { ConfigError, readStackFile, stackFile, validateStackConfig } from '../src';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const prod = () => readStackFile(stackFile('prod'));

/** Validates `raw` and returns the one issue for `key`, failing if validation passes. */
function issueFor(raw: Record<string, unknown>, key: string) {
  try {
    validateStackConfig(raw, 'test');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const err = e as ConfigError;
    const issue = err.issues.find((i) => i.key === key);
    if (!issue) throw new Error(`no issue for ${key}; got: ${err.message}`);
    // The rendered message carries the key, the rule and the value found.
    expect(err.message).toContain(`${key}: ${issue.message} (got `);
    return issue;
  }
  throw new Error('config unexpectedly valid');
}

const withCluster = (patch: (c: Json) => void) => {
  const raw = prod();
  const cluster = structuredClone(raw.cluster) as Json;
  patch(cluster);
  return { ...raw, cluster };
};

describe('stack config validation (each failure names key, value and what is allowed)', () => {
  it('accepts every checked-in stack', () => {
    for (const stack of ['dev', 'staging', 'prod', 'local'])
      expect(() => validateStackConfig(readStackFile(stackFile(stack)), stack)).not.toThrow();
  });

  it('unknown environment', () => {
    const issue = issueFor({ ...prod(), environment: 'qa' }, 'ml-platform:environment');
    expect(issue.value).toBe('qa');
    expect(issue.message).toMatch(/"dev".*"staging".*"prod".*"local"/);
  });

  it('GPU group min > max', () => {
    const issue = issueFor(
      withCluster((c) => (c.gpuNodeGroups[0].min = 5)),
      'ml-platform:cluster.gpuNodeGroups[0].min',
    );
    expect(issue).toMatchObject({ value: 5, message: 'must be <= max (4), got 5' });
  });

  it('system nodes min > max', () => {
    const issue = issueFor(
      withCluster((c) => (c.systemNodes.min = 9)),
      'ml-platform:cluster.systemNodes.min',
    );
    expect(issue.message).toBe('must be <= max (4), got 9');
  });

  it('unbounded GPU max', () => {
    const issue = issueFor(
      withCluster((c) => (c.gpuNodeGroups[0].max = 5000)),
      'ml-platform:cluster.gpuNodeGroups[0].max',
    );
    expect(issue.value).toBe(5000);
    expect(issue.message).toMatch(/100/);
  });

  it('pod minReplicas > maxReplicas', () => {
    const issue = issueFor(
      { ...prod(), autoscaling: { nodes: 'karpenter', pods: { minReplicas: 30, maxReplicas: 20 } } },
      'ml-platform:autoscaling.pods.minReplicas',
    );
    expect(issue.message).toBe('must be <= maxReplicas (20), got 30');
  });

  it('negative budget', () => {
    const issue = issueFor(
      { ...prod(), budget: { monthlyLimitUsd: -5, alertThresholdsPct: [80], emails: ['a@example.com'] } },
      'ml-platform:budget.monthlyLimitUsd',
    );
    expect(issue.value).toBe(-5);
    expect(issue.message).toMatch(/>0/);
  });

  it('SLA p99 below p50', () => {
    const issue = issueFor(
      {
        ...prod(),
        sla: {
          p50LatencyMs: 20,
          p95LatencyMs: 50,
          p99LatencyMs: 15,
          errorRatePct: 0.1,
          availabilityPct: 99.9,
          peakRps: 500,
        },
      },
      'ml-platform:sla.p99LatencyMs',
    );
    expect(issue).toMatchObject({ value: 15, message: 'must be >= p95LatencyMs (50), got 15' });
  });

  it('GPU instance type missing from the price table', () => {
    const issue = issueFor(
      withCluster((c) => (c.gpuNodeGroups[0].instanceTypes = ['g5.xlarge', 'p9.mega'])),
      'ml-platform:cluster.gpuNodeGroups[0].instanceTypes[1]',
    );
    expect(issue.value).toBe('p9.mega');
    expect(issue.message).toMatch(
      /^must be a GPU instance type in the price table: one of g4dn\.xlarge, .*g5\.xlarge/,
    );
  });

  it('a CPU instance type in a GPU group', () => {
    const issue = issueFor(
      withCluster((c) => (c.gpuNodeGroups[0].instanceTypes = ['m6i.large'])),
      'ml-platform:cluster.gpuNodeGroups[0].instanceTypes[0]',
    );
    expect(issue.value).toBe('m6i.large');
  });

  it('system instance type missing from the price table', () => {
    const issue = issueFor(
      withCluster((c) => (c.systemNodes.instanceType = 'x9.huge')),
      'ml-platform:cluster.systemNodes.instanceType',
    );
    expect(issue.message).toMatch(/m6i\.large/);
  });

  it('Redis node type missing from the price table', () => {
    const issue = issueFor(
      { ...prod(), redis: { nodeType: 'cache.x9.huge', replicas: 2 } },
      'ml-platform:redis.nodeType',
    );
    expect(issue.message).toMatch(/cache\.r7g\.large/);
  });

  it('a region the price table does not cover', () => {
    const issue = issueFor({ ...prod(), region: 'eu-west-1' }, 'ml-platform:region');
    expect(issue.message).toMatch(/must be us-east-1: the price table \(as of \d{4}-\d{2}-\d{2}\)/);
  });

  it('a cloud stack without a budget', () => {
    const raw = prod();
    delete raw.budget;
    expect(issueFor(raw, 'ml-platform:budget').message).toMatch(/required when environment is "prod"/);
  });

  it('prod Redis without a replica', () => {
    expect(
      issueFor(
        { ...prod(), redis: { nodeType: 'cache.r7g.large', replicas: 0 } },
        'ml-platform:redis.replicas',
      ).message,
    ).toMatch(/>= 1 in prod/);
  });

  it('an AWS provider region other than ml-platform:region', () => {
    try {
      validateStackConfig(prod(), 'test', 'eu-west-1');
      throw new Error('config unexpectedly valid');
    } catch (e) {
      expect((e as ConfigError).issues).toEqual([
        {
          key: 'aws:region',
          value: 'eu-west-1',
          message: 'must equal ml-platform:region (us-east-1), or be left unset',
        },
      ]);
    }
    expect(() => validateStackConfig(prod(), 'test', 'us-east-1')).not.toThrow();
  });

  it('unknown keys', () => {
    const issue = issueFor({ ...prod(), clustr: { version: '1.33' } }, 'ml-platform:clustr');
    expect(issue).toMatchObject({
      value: { version: '1.33' },
      message: expect.stringMatching(/not a known key/),
    });
  });
});
