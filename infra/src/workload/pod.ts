import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';
import type { ITopologySpreadConstraint } from 'kubernetes-models/v1/TopologySpreadConstraint';
import { ENV, MIN_ORT_THREADS, PATHS, SERVICE_IMAGE_COMMAND } from '@ml-platform/contract/names';
import { cpuCores } from '@ml-platform/stack-config';
import { GPU_RESOURCE, GPU_TOLERATION } from '../k8s/scheduling';
import { youngGenerationFlags } from './young-generation';

/** grpc.health.v1 service names the gRPC health service answers (service/src/grpc/health.ts). */
export const GRPC_HEALTH = { live: 'liveness', ready: '' } as const;
/** The gRPC port's default, as the service's GRPC_PORT. */
export const DEFAULT_GRPC_PORT = 8081;
export const MODEL_DIR = '/models';
export const API_KEYS_DIR = '/etc/inference/api-keys';
export const API_KEYS_FILE_NAME = 'api-keys.json';
/** Non-root UID the service image runs as. */
export const SERVICE_UID = 10001;

export interface InferencePodOptions {
  labels: Record<string, string>;
  image: string;
  port: number;
  /** The Open Inference Protocol over gRPC (GRPC_PORT); 0 turns it off. */
  grpcPort: number;
  /**
   * What the kubelet probes: the REST health endpoints, or grpc.health.v1 on the gRPC port (service
   * '' for readiness, 'liveness' for liveness; service/src/grpc/health.ts). Default http.
   */
  probes?: 'http' | 'grpc';
  serviceAccountName: string;
  rateLimit: { requestsPerSecond: number; burst: number };
  requestTimeoutMs: number;
  /** What the pod costs per hour (stack-config podCostPerHour); the service splits it between models. */
  podCostPerHourUsd: number;
  resources: { cpu: string; memory: string };
  /** Request one `nvidia.com/gpu` and tolerate the GPU taint. */
  gpu: boolean;
  nodeSelector?: Record<string, string>;
  /** Secret with the Redis URL; unset: the service keeps limits and cache in memory. */
  redisSecret?: { name: string; key: string };
  /** Secret with the API keys file; unset: auth off. */
  apiKeysSecret?: { name: string; key: string };
  /** Sync the model repository from S3 before start; unset: the image's bundled models. */
  modelSync?: { image: string; configMap: string };
}

const hardened: ISecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  privileged: false,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

/**
 * The share of the pod's memory limit the service's in-process prediction cache may take; the
 * service applies the same share to its cgroup limit when CACHE_MEMORY_BYTES is unset
 * (service/src/config/memory-limit.ts). Set here so that the value shows in the manifest.
 */
const CACHE_SHARE_OF_MEMORY_LIMIT = 1 / 8;
const QUANTITY_UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };

/** Bytes of a memory quantity as the stack config allows it (`512Mi`, `8Gi`, `65536Ki`). */
export function memoryBytes(quantity: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`memory quantity ${JSON.stringify(quantity)} is not <integer>Ki|Mi|Gi`);
  return Number(m[1]) * QUANTITY_UNITS[m[2]];
}

/** A slow request gets its full timeout to finish before the pod is killed on scale-in or rollout. */
export function terminationGraceSeconds(requestTimeoutMs: number): number {
  return Math.ceil(requestTimeoutMs / 1000) + 15;
}

/**
 * onnxruntime threads for a pod's CPU request. Node counts the node's cores, not the pod's share,
 * so unset the service would run a thread per node core; floored so that slow-model isolation holds.
 */
export function ortThreads(cpu: string): number {
  return Math.max(MIN_ORT_THREADS, Math.floor(cpuCores(cpu)));
}

/**
 * The container's args: the image's own command with V8 heap flags after `node`, which must reach
 * node before its heap exists. Args, not command, so that each image keeps its entrypoint.
 */
export function serviceArgs(memory: string): string[] {
  const [node, ...rest] = SERVICE_IMAGE_COMMAND;
  return [node, ...youngGenerationFlags(memoryBytes(memory)), ...rest];
}

/** The service's environment, by the names of its public interface in the contract. */
export function serviceEnv(o: InferencePodOptions): IEnvVar[] {
  const env: IEnvVar[] = [
    { name: ENV.PORT, value: String(o.port) },
    { name: ENV.GRPC_PORT, value: String(o.grpcPort) },
    { name: ENV.HOST, value: '0.0.0.0' },
    { name: ENV.RATE_LIMIT_RPS, value: String(o.rateLimit.requestsPerSecond) },
    { name: ENV.RATE_LIMIT_BURST, value: String(o.rateLimit.burst) },
    { name: ENV.REQUEST_TIMEOUT_MS, value: String(o.requestTimeoutMs) },
    {
      name: ENV.CACHE_MEMORY_BYTES,
      value: String(Math.floor(memoryBytes(o.resources.memory) * CACHE_SHARE_OF_MEMORY_LIMIT)),
    },
    { name: ENV.LOG_LEVEL, value: 'info' },
    { name: ENV.OTEL_SERVICE_NAME, value: 'inference' },
    { name: ENV.POD_COST_PER_HOUR_USD, value: String(o.podCostPerHourUsd) },
    { name: ENV.ORT_THREADS, value: String(ortThreads(o.resources.cpu)) },
  ];
  if (o.modelSync) env.push({ name: ENV.MODEL_REPOSITORY, value: MODEL_DIR });
  if (o.redisSecret)
    env.push({
      name: ENV.REDIS_URL,
      valueFrom: { secretKeyRef: { name: o.redisSecret.name, key: o.redisSecret.key } },
    });
  if (o.apiKeysSecret) env.push({ name: ENV.API_KEYS_FILE, value: `${API_KEYS_DIR}/${o.apiKeysSecret.key}` });
  return env;
}

/**
 * The inference pod: hardened (non-root, read-only root, no privilege escalation, no capabilities,
 * RuntimeDefault seccomp), probed on the OIP health endpoints, spread over zones and nodes, on GPU nodes
 * with one GPU when asked, models synced from S3 by an init container.
 */
export function inferencePodTemplate(o: InferencePodOptions): IPodTemplateSpec {
  const limits: Record<string, string> = { memory: o.resources.memory };
  const requests: Record<string, string> = { cpu: o.resources.cpu, memory: o.resources.memory };
  if (o.gpu) {
    limits[GPU_RESOURCE] = '1';
    requests[GPU_RESOURCE] = '1';
  }
  const volumes: NonNullable<NonNullable<IPodTemplateSpec['spec']>['volumes']> = [
    { name: 'tmp', emptyDir: {} },
  ];
  const mounts = [{ name: 'tmp', mountPath: '/tmp' }];
  if (o.modelSync) {
    volumes.push({ name: 'models', emptyDir: {} });
    mounts.push({ name: 'models', mountPath: MODEL_DIR });
  }
  if (o.apiKeysSecret) {
    volumes.push({ name: 'api-keys', secret: { secretName: o.apiKeysSecret.name, defaultMode: 0o440 } });
    mounts.push({ name: 'api-keys', mountPath: API_KEYS_DIR });
  }
  const spread = (topologyKey: string): ITopologySpreadConstraint => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: o.labels },
  });
  if (o.probes === 'grpc' && o.grpcPort === 0) throw new Error('gRPC probes need a gRPC port (grpcPort > 0)');
  const probe = (path: string, grpcService: string) =>
    o.probes === 'grpc'
      ? { grpc: { port: o.grpcPort, service: grpcService }, timeoutSeconds: 2 }
      : { httpGet: { path, port: 'http' }, timeoutSeconds: 2 };
  const ready = probe(PATHS.ready, GRPC_HEALTH.ready);
  return {
    metadata: { labels: o.labels },
    spec: {
      serviceAccountName: o.serviceAccountName,
      // The Pod Identity webhook mounts its own token; the Kubernetes API token is not needed.
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: terminationGraceSeconds(o.requestTimeoutMs),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: SERVICE_UID,
        runAsGroup: SERVICE_UID,
        fsGroup: SERVICE_UID,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.gpu ? { tolerations: [{ ...GPU_TOLERATION }] } : {}),
      topologySpreadConstraints: [spread('topology.kubernetes.io/zone'), spread('kubernetes.io/hostname')],
      ...(o.modelSync
        ? {
            initContainers: [
              {
                name: 'sync-models',
                image: o.modelSync.image,
                args: ['s3', 'sync', 's3://$(MODEL_BUCKET)/$(MODEL_PREFIX)', MODEL_DIR, '--only-show-errors'],
                env: [
                  {
                    name: 'MODEL_BUCKET',
                    valueFrom: { configMapKeyRef: { name: o.modelSync.configMap, key: 'bucket' } },
                  },
                  {
                    name: 'MODEL_PREFIX',
                    valueFrom: { configMapKeyRef: { name: o.modelSync.configMap, key: 'prefix' } },
                  },
                  { name: 'HOME', value: '/tmp' },
                ],
                securityContext: hardened,
                resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
                volumeMounts: [
                  { name: 'models', mountPath: MODEL_DIR },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
          }
        : {}),
      containers: [
        {
          name: 'inference',
          image: o.image,
          args: serviceArgs(o.resources.memory),
          ports: [
            { name: 'http', containerPort: o.port },
            ...(o.grpcPort ? [{ name: 'grpc', containerPort: o.grpcPort }] : []),
          ],
          env: serviceEnv(o),
          resources: { requests, limits },
          securityContext: hardened,
          // Model load and warm-up can take minutes; liveness waits for the startup probe.
          startupProbe: { ...ready, periodSeconds: 5, failureThreshold: 120 },
          readinessProbe: { ...ready, periodSeconds: 5, failureThreshold: 2 },
          livenessProbe: { ...probe(PATHS.live, GRPC_HEALTH.live), periodSeconds: 10, failureThreshold: 3 },
          // Lets the load balancer deregister the pod before the service starts refusing work.
          lifecycle: { preStop: { sleep: { seconds: 5 } } },
          volumeMounts: mounts,
        },
      ],
      volumes,
    },
  };
}
