import {
  loadStackConfig,
  natGatewayCount,
  parseStackConfig,
  readStackFile,
  requestTimeoutMs,
  stackFile,
} from '../src';

describe('resolved defaults', () => {
  it('spans 3 AZs with a NAT gateway each in prod, 2 AZs and one NAT elsewhere, none locally', () => {
    const prod = loadStackConfig('prod');
    const dev = loadStackConfig('dev');
    expect(prod.network).toMatchObject({ availabilityZones: 3, natGateways: 'one-per-az' });
    expect(natGatewayCount(prod)).toBe(3);
    expect(dev.network).toMatchObject({ cidr: '10.0.0.0/16', availabilityZones: 2, natGateways: 'single' });
    expect(natGatewayCount(dev)).toBe(1);
    expect(natGatewayCount(loadStackConfig('local'))).toBe(0);
  });

  it('puts the service on GPUs only where GPU groups exist and never locally', () => {
    expect(loadStackConfig('prod').service.gpu).toBe(true);
    const local = readStackFile(stackFile('local'));
    const gpuLocally = parseStackConfig({ ...local, service: { ...(local.service as object), gpu: true } });
    expect(gpuLocally.service.gpu).toBe(false);
  });

  it('sizes the pod for the environment unless resources are set', () => {
    expect(loadStackConfig('local').service.resources).toEqual({ cpu: '250m', memory: '512Mi' });
    expect(loadStackConfig('dev').service).toMatchObject({
      port: 8080,
      resources: { cpu: '2', memory: '8Gi' },
    });
  });

  it('turns the WAF on for shared stacks, sized from the rate limit', () => {
    expect(loadStackConfig('prod').ingress.wafRateLimitPer5Min).toBe(100 * 300);
    expect(loadStackConfig('dev').ingress.wafRateLimitPer5Min).toBeUndefined();
    expect(loadStackConfig('local').ingress.enabled).toBe(false);
    expect(loadStackConfig('dev').ingress).toMatchObject({ enabled: true, scheme: 'internet-facing' });
  });

  it('alerts the budget emails at the SLA p99 unless monitoring says otherwise', () => {
    const staging = loadStackConfig('staging');
    expect(staging.monitoring).toMatchObject({
      alertEmails: staging.budget?.emails,
      p99AlertMs: staging.sla.p99LatencyMs,
      driftThreshold: 0.2,
      queueSaturationDepth: 50,
    });
    expect(loadStackConfig('local').monitoring.alertEmails).toEqual([]);
  });

  it('fills the static defaults next to their options', () => {
    const prod = loadStackConfig('prod');
    expect(prod.budget?.costAllocationTag).toBe('ml-platform-stack');
    expect(prod.cluster?.systemNodes.diskSizeGb).toBe(50);
    expect(prod.cluster?.adminPrincipalArns).toEqual([]);
    expect(prod.redis?.atRestEncryption).toBe(true);
    expect(prod.modelStore.prefix).toBe('models/');
    expect(loadStackConfig('local').autoscaling.pods).toMatchObject({
      targetQueueDepthPerPod: 10,
      targetCpuPct: 70,
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
