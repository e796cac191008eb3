import { loadStackConfig } from '@ml-platform/stack-config';
import { requestTimeoutMs, resolveSettings } from '../src/settings';

describe('resolveSettings', () => {
  it('spans 3 AZs with a NAT gateway each in prod, 2 AZs and one NAT elsewhere', () => {
    expect(resolveSettings(loadStackConfig('prod'), 'prod').network).toMatchObject({
      availabilityZones: 3,
      natGateways: 'one-per-az',
      natGatewayCount: 3,
    });
    expect(resolveSettings(loadStackConfig('dev'), 'dev').network).toMatchObject({
      availabilityZones: 2,
      natGateways: 'single',
      natGatewayCount: 1,
    });
    expect(resolveSettings(loadStackConfig('local'), 'local').network.natGatewayCount).toBe(0);
  });

  it('runs Redis multi-AZ with failover when it has replicas', () => {
    expect(resolveSettings(loadStackConfig('prod'), 'prod').redis).toMatchObject({
      multiAz: true,
      automaticFailover: true,
    });
    expect(resolveSettings(loadStackConfig('dev'), 'dev').redis).toMatchObject({
      multiAz: false,
      automaticFailover: false,
    });
  });

  it('puts the service on GPUs only where GPU groups exist and never locally', () => {
    expect(resolveSettings(loadStackConfig('prod'), 'prod').service.gpu).toBe(true);
    expect(resolveSettings(loadStackConfig('local'), 'local').service.gpu).toBe(false);
  });

  it('turns the WAF on for shared stacks, sized from the rate limit', () => {
    expect(resolveSettings(loadStackConfig('prod'), 'prod').ingress.wafRateLimitPer5Min).toBe(100 * 300);
    expect(resolveSettings(loadStackConfig('dev'), 'dev').ingress.wafRateLimitPer5Min).toBeUndefined();
    expect(resolveSettings(loadStackConfig('local'), 'local').ingress.enabled).toBe(false);
  });

  it('tags with the stack under the cost allocation tag', () => {
    expect(resolveSettings(loadStackConfig('staging'), 'staging').tags).toMatchObject({
      'ml-platform-stack': 'staging',
      environment: 'staging',
    });
  });
});

describe('requestTimeoutMs', () => {
  it('is ten p99s, clamped to 1-30 s', () => {
    const sla = loadStackConfig('prod').sla;
    expect(requestTimeoutMs({ ...sla, p99LatencyMs: 150 })).toBe(1500);
    expect(requestTimeoutMs({ ...sla, p99LatencyMs: 20 })).toBe(1000);
    expect(requestTimeoutMs({ ...sla, p99LatencyMs: 9000 })).toBe(30000);
  });
});
