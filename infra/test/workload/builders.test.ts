import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadStackConfig } from '@ml-platform/stack-config';
import { ApiKeyAuth } from '@ml-platform/service/guards/auth';
import { ENV, histogramSeries, METRICS } from '@ml-platform/contract/names';
import { apiKeysFile } from '../../src/workload/api-keys';
import { grpcIngress, ingress, networkPolicy, service } from '../../src/workload/exposure';
import {
  inferencePodTemplate,
  serviceEnv,
  terminationGraceSeconds,
  type InferencePodOptions,
} from '../../src/workload/pod';
import {
  analysisTemplate,
  blueGreenRollout,
  canaryRollout,
  rollingDeployment,
} from '../../src/workload/strategies';

const meta = { name: 'inference', namespace: 'inference', labels: { app: 'inference' } };
const base: InferencePodOptions = {
  labels: meta.labels,
  image: 'img:1',
  port: 8080,
  grpcPort: 8081,
  serviceAccountName: 'inference',
  rateLimit: { requestsPerSecond: 100, burst: 200 },
  requestTimeoutMs: 1000,
  podCostPerHourUsd: 0.024,
  resources: { cpu: '2', memory: '8Gi' },
  gpu: false,
};

describe('inference pod', () => {
  it('asks for a GPU and tolerates the taint only on GPU pools', () => {
    const cpu = inferencePodTemplate(base).spec!;
    expect(cpu.tolerations).toBeUndefined();
    expect(cpu.containers[0].resources?.limits?.['nvidia.com/gpu']).toBeUndefined();
    const gpu = inferencePodTemplate({
      ...base,
      gpu: true,
      nodeSelector: { 'ml-platform/pool': 'gpu' },
    }).spec!;
    expect(gpu.containers[0].resources).toMatchObject({
      requests: { 'nvidia.com/gpu': '1' },
      limits: { 'nvidia.com/gpu': '1' },
    });
    expect(gpu.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(gpu.nodeSelector).toEqual({ 'ml-platform/pool': 'gpu' });
  });

  it("tells the service what the pod costs per hour, by the contract's name", () => {
    const env = serviceEnv({ ...base, podCostPerHourUsd: 1.006 });
    expect(env.find((e) => e.name === ENV.POD_COST_PER_HOUR_USD)).toEqual({
      name: 'POD_COST_PER_HOUR_USD',
      value: '1.006',
    });
  });

  it('gets Redis and API keys from Secrets, never as literal values', () => {
    const env = serviceEnv({
      ...base,
      redisSecret: { name: 'redis', key: 'url' },
      apiKeysSecret: { name: 'keys', key: 'api-keys.json' },
    });
    const byName = Object.fromEntries(env.map((e) => [e.name, e]));
    expect(byName.REDIS_URL).toEqual({
      name: 'REDIS_URL',
      valueFrom: { secretKeyRef: { name: 'redis', key: 'url' } },
    });
    expect(byName.API_KEYS_FILE.value).toBe('/etc/inference/api-keys/api-keys.json');
    expect(byName.API_KEYS).toBeUndefined();
    expect(serviceEnv(base).map((e) => e.name)).not.toContain('API_KEYS_FILE');
  });

  it('syncs models from S3 into a writable volume when a bucket is configured', () => {
    const spec = inferencePodTemplate({ ...base, modelSync: { image: 'aws-cli', configMap: 'store' } }).spec!;
    expect(spec.initContainers?.[0].args?.slice(0, 2)).toEqual(['s3', 'sync']);
    expect(spec.containers[0].env?.find((e) => e.name === 'MODEL_REPOSITORY')?.value).toBe('/models');
    expect(spec.containers[0].volumeMounts?.map((m) => m.mountPath)).toContain('/models');
  });

  it("sizes the prediction cache to an eighth of the pod's memory limit", () => {
    const cacheBytes = (memory: string) =>
      serviceEnv({ ...base, resources: { cpu: '1', memory } }).find((e) => e.name === 'CACHE_MEMORY_BYTES')
        ?.value;
    expect(cacheBytes('512Mi')).toBe(String(64 * 2 ** 20));
    expect(cacheBytes('8Gi')).toBe(String(2 ** 30));
    expect(cacheBytes('65536Ki')).toBe(String(8 * 2 ** 20));
    expect(() => cacheBytes('1.5Gi')).toThrow(/1\.5Gi/);
  });

  it("runs the image's command with node's semi-space held at what the memory limit allows", () => {
    const args = (memory: string) =>
      inferencePodTemplate({ ...base, resources: { cpu: '1', memory } }).spec!.containers[0].args;
    expect(args('512Mi')).toEqual([
      'node',
      '--max-semi-space-size=8',
      '--min-semi-space-size=8',
      '--conditions=compiled',
      'service/dist/src/main.js',
    ]);
    expect(args('8Gi')).toContain('--min-semi-space-size=16');
  });

  it("runs as many onnxruntime threads as the pod's whole CPUs, never fewer than two", () => {
    const threads = (cpu: string) =>
      serviceEnv({ ...base, resources: { cpu, memory: '8Gi' } }).find((e) => e.name === 'ORT_THREADS')?.value;
    expect(threads('4')).toBe('4');
    expect(threads('3500m')).toBe('3');
    expect(threads('250m')).toBe('2');
    expect(threads('1')).toBe('2');
  });

  it('gives slow requests their timeout before the kill', () => {
    expect(terminationGraceSeconds(10_000)).toBe(25);
    expect(
      inferencePodTemplate({ ...base, requestTimeoutMs: 10_000 }).spec!.terminationGracePeriodSeconds,
    ).toBe(25);
  });
});

describe('rollout strategies', () => {
  const sla = loadStackConfig('prod').sla;
  const template = inferencePodTemplate(base);

  it('analyses p99 and error ratio of the new pods against the SLA', () => {
    const t = analysisTemplate(meta, sla, 'http://prom:9090');
    const [latency, errors] = t.spec.metrics;
    expect(latency.successCondition).toBe('isNaN(result[0]) || result[0] <= 0.1');
    expect(errors.successCondition).toBe('isNaN(result[0]) || result[0] <= 0.001');
    for (const m of t.spec.metrics)
      expect(m.provider.prometheus?.query).toContain(
        'rollouts_pod_template_hash="{{args.pod-template-hash}}"',
      );
    expect(latency.provider.prometheus?.query).toContain(histogramSeries(METRICS.requestDuration).bucket);
    expect(errors.provider.prometheus?.query).toContain('status=~"5.."');
  });

  it('canary steps run the analysis; blue-green analyses after promotion; rolling never drops capacity', () => {
    const canary = canaryRollout(meta, template).spec.strategy?.canary;
    expect(canary?.steps?.filter((s) => s.analysis).length).toBe(2);
    expect(canary?.steps?.[0]).toEqual({ setWeight: 10 });
    const bg = blueGreenRollout(meta, template, 'inference-preview').spec.strategy?.blueGreen;
    expect(bg).toMatchObject({ activeService: 'inference', previewService: 'inference-preview' });
    expect(bg?.postPromotionAnalysis?.templates?.[0].templateName).toBe('inference-sla');
    expect(rollingDeployment(meta, template).spec?.strategy?.rollingUpdate).toEqual({
      maxSurge: '25%',
      maxUnavailable: 0,
    });
    expect(canaryRollout(meta, template).spec.replicas).toBeUndefined();
  });
});

describe('exposure', () => {
  it('terminates TLS at the ALB only when a certificate is configured', () => {
    const plain = ingress(meta, { serviceName: 'inference', scheme: 'internal' });
    expect(plain.metadata?.annotations?.['alb.ingress.kubernetes.io/listen-ports']).toBe('[{"HTTP":80}]');
    expect(plain.metadata?.annotations?.['alb.ingress.kubernetes.io/scheme']).toBe('internal');
    const tls = ingress(meta, {
      serviceName: 'inference',
      scheme: 'internet-facing',
      certificateArn: 'arn:aws:acm:x',
      host: 'api.example.com',
    });
    expect(tls.metadata?.annotations).toMatchObject({
      'alb.ingress.kubernetes.io/certificate-arn': 'arn:aws:acm:x',
      'alb.ingress.kubernetes.io/ssl-redirect': '443',
      'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP":80},{"HTTPS":443}]',
    });
    expect(tls.spec?.rules?.[0].host).toBe('api.example.com');
  });

  it('allows Redis egress to the VPC CIDR or to the in-cluster Redis pods', () => {
    const common = {
      port: 8080,
      grpcPort: 8081,
      monitoringNamespace: 'monitoring',
      redisPort: 6379,
      podIdentity: false,
    };
    const vpc = networkPolicy(meta, { ...common, clientCidr: '10.0.0.0/16', redis: { cidr: '10.0.0.0/16' } });
    expect(vpc.spec?.egress?.[1]).toEqual({
      to: [{ ipBlock: { cidr: '10.0.0.0/16' } }],
      ports: [{ protocol: 'TCP', port: 6379 }],
    });
    const local = networkPolicy(meta, {
      ...common,
      redis: { namespace: 'redis', podLabels: { app: 'redis' } },
    });
    expect(local.spec?.egress?.[1].to).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'redis' } },
        podSelector: { matchLabels: { app: 'redis' } },
      },
    ]);
    expect(local.spec?.ingress?.[0].from).toEqual([{ ipBlock: { cidr: '0.0.0.0/0' } }]);
  });
});

describe('gRPC exposure', () => {
  it('the pod serves GRPC_PORT on a named port; probes use grpc.health.v1 when asked', () => {
    const http = inferencePodTemplate(base).spec!.containers[0];
    expect(http.env).toContainEqual({ name: 'GRPC_PORT', value: '8081' });
    expect(http.ports).toEqual([
      { name: 'http', containerPort: 8080 },
      { name: 'grpc', containerPort: 8081 },
    ]);
    expect(http.readinessProbe?.httpGet?.path).toBe('/v2/health/ready');
    const grpc = inferencePodTemplate({ ...base, probes: 'grpc' }).spec!.containers[0];
    expect(grpc.readinessProbe).toMatchObject({ grpc: { port: 8081, service: '' } });
    expect(grpc.startupProbe).toMatchObject({ grpc: { port: 8081, service: '' } });
    expect(grpc.livenessProbe).toMatchObject({ grpc: { port: 8081, service: 'liveness' } });
    expect(() => inferencePodTemplate({ ...base, grpcPort: 0, probes: 'grpc' })).toThrow(/gRPC probes need/);
    const off = inferencePodTemplate({ ...base, grpcPort: 0 }).spec!.containers[0];
    expect(off.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    expect(off.env).toContainEqual({ name: 'GRPC_PORT', value: '0' });
  });

  it('the Service carries an h2c gRPC port and the NetworkPolicy lets clients reach it', () => {
    expect(service(meta, 'inference', 8080, true, 8081).spec?.ports).toEqual([
      { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
      { name: 'grpc', port: 8081, targetPort: 8081, protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' },
    ]);
    expect(service(meta, 'inference', 8080, true).spec?.ports).toHaveLength(1);
    const policy = networkPolicy(meta, {
      port: 8080,
      grpcPort: 8081,
      monitoringNamespace: 'monitoring',
      redisPort: 6379,
      podIdentity: false,
      redis: { cidr: '10.0.0.0/16' },
    });
    expect(policy.spec?.ingress?.[0].ports).toEqual([
      { protocol: 'TCP', port: 8080 },
      { protocol: 'TCP', port: 8081 },
    ]);
  });

  it('the gRPC Ingress joins the REST ALB, speaks gRPC to the pods over HTTPS only, and routes only the inference API', () => {
    const options = {
      serviceName: 'inference',
      scheme: 'internet-facing' as const,
      certificateArn: 'arn:aws:acm:x',
    };
    const rest = ingress(meta, options);
    const grpc = grpcIngress(meta, options);
    expect(grpc.metadata?.name).toBe('inference-grpc');
    expect(grpc.metadata?.annotations).toMatchObject({
      'alb.ingress.kubernetes.io/group.name':
        rest.metadata?.annotations?.['alb.ingress.kubernetes.io/group.name'],
      'alb.ingress.kubernetes.io/backend-protocol-version': 'GRPC',
      'alb.ingress.kubernetes.io/listen-ports': '[{"HTTPS":443}]',
      'alb.ingress.kubernetes.io/certificate-arn': 'arn:aws:acm:x',
      'alb.ingress.kubernetes.io/healthcheck-path': '/grpc.health.v1.Health/Check',
      'alb.ingress.kubernetes.io/success-codes': '0',
    });
    expect(grpc.spec?.rules?.[0].http?.paths).toEqual([
      {
        path: '/inference.GRPCInferenceService',
        pathType: 'Prefix',
        backend: { service: { name: 'inference', port: { name: 'grpc' } } },
      },
    ]);
  });
});

describe('API keys file', () => {
  it('is accepted by the service, which then authenticates the generated key', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-keys-'));
    try {
      const file = path.join(dir, 'api-keys.json');
      fs.writeFileSync(file, apiKeysFile([{ name: 'platform', key: 'k3y-abcdef', scopes: ['infer'] }]));
      expect(fs.readFileSync(file, 'utf8')).not.toContain('k3y-abcdef');
      const auth = ApiKeyAuth.fromFile(file);
      expect(auth.authenticate({ 'x-api-key': 'k3y-abcdef' }, 'infer')).toMatchObject({ ok: true });
      expect(auth.authenticate({ 'x-api-key': 'wrong' }, 'infer')).toMatchObject({ ok: false, status: 401 });
      expect(auth.authenticate({ 'x-api-key': 'k3y-abcdef' }, 'admin')).toMatchObject({
        ok: false,
        status: 403,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
