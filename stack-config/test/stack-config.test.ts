import { ConfigError, listStacks, loadStackConfig, parseStackConfig, readStackFile, stackFile } from '../src';

describe('stack config', () => {
  it.each(listStacks())('stack %s validates', (stack) => {
    const cfg = loadStackConfig(stack);
    expect(cfg.sla.p99LatencyMs).toBeGreaterThanOrEqual(cfg.sla.p95LatencyMs);
  });

  it('names key, value and the rule for a bad value', () => {
    const raw = readStackFile(stackFile('prod'));
    const bad = { ...raw, sla: { ...(raw.sla as object), p99LatencyMs: 10 } };
    expect(() => parseStackConfig(bad, 'test')).toThrow(ConfigError);
    try {
      parseStackConfig(bad, 'test');
    } catch (e) {
      const issue = (e as ConfigError).issues.find((i) => i.key === 'ml-platform:sla.p99LatencyMs');
      expect(issue).toMatchObject({ value: 10 });
      expect(issue?.message).toMatch(/>= p95LatencyMs \(50\)/);
    }
  });

  it('rejects an unknown environment with the allowed values', () => {
    const raw = readStackFile(stackFile('dev'));
    expect(() => parseStackConfig({ ...raw, environment: 'qa' })).toThrow(
      /ml-platform:environment: .*dev.*staging.*prod.*local.*\(got "qa"\)/,
    );
  });
});

describe('infra options', () => {
  const prod = () => readStackFile(stackFile('prod'));

  it('accepts network, monitoring, ingress and model store sections', () => {
    const cfg = parseStackConfig({
      ...prod(),
      network: { cidr: '10.20.0.0/16', availabilityZones: 3, natGateways: 'one-per-az' },
      monitoring: {
        alertEmails: ['oncall@example.com'],
        webhookUrl: 'https://hooks.example.com/x',
        driftThreshold: 0.3,
      },
      ingress: {
        host: 'api.example.com',
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
        wafRateLimitPer5Min: 2000,
      },
      modelStore: { bucketName: 'my-models', prefix: 'models/' },
    });
    expect(cfg.ingress).toMatchObject({ enabled: true, wafRateLimitPer5Min: 2000 });
    expect(cfg.network?.natGateways).toBe('one-per-az');
  });

  it('names each unknown key by its own path', () => {
    expect(() => parseStackConfig({ ...prod(), network: { cidr: '10.0.0.0/16', azs: 3 } })).toThrow(
      /ml-platform:network\.azs: is not a known key .*\(got 3\)/,
    );
  });

  it('rejects a VPC CIDR outside /16-/20 and prod on fewer than 3 AZs', () => {
    expect(() => parseStackConfig({ ...prod(), network: { cidr: '10.0.0.0/24' } })).toThrow(
      /ml-platform:network\.cidr: must be an IPv4 CIDR with a \/16 to \/20 prefix/,
    );
    expect(() => parseStackConfig({ ...prod(), network: { availabilityZones: 2 } })).toThrow(
      /ml-platform:network\.availabilityZones: must be >= 3 in prod \(got 2\)/,
    );
  });
});
