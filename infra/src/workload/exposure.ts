import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IService } from 'kubernetes-models/v1/Service';
import { SCRAPE_LABEL } from '../monitoring/objects';
import { PATHS } from '@ml-platform/contract/names';
import type { WorkloadMeta } from './strategies';

/**
 * ClusterIP Service on port 80, plus the gRPC port when there is one (h2c, so that meshes and
 * controllers speak HTTP/2 to it); `scrape` marks the one the ServiceMonitor reads (never the preview).
 */
export function service(
  meta: WorkloadMeta,
  name: string,
  port: number,
  scrape: boolean,
  grpcPort = 0,
): IService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: meta.namespace,
      labels: { ...meta.labels, ...(scrape ? { [SCRAPE_LABEL]: 'true' } : {}) },
    },
    spec: {
      type: 'ClusterIP',
      selector: meta.labels,
      ports: [
        { name: 'http', port: 80, targetPort: port, protocol: 'TCP' },
        ...(grpcPort
          ? [
              {
                name: 'grpc',
                port: grpcPort,
                targetPort: grpcPort,
                protocol: 'TCP' as const,
                appProtocol: 'kubernetes.io/h2c',
              },
            ]
          : []),
      ],
    },
  };
}

/** Voluntary disruptions (drains, consolidation) take at most one pod at a time. */
export function podDisruptionBudget(meta: WorkloadMeta): IPodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels },
    spec: { maxUnavailable: 1, selector: { matchLabels: meta.labels } },
  };
}

export interface NetworkPolicyOptions {
  port: number;
  /** The gRPC port clients may reach too; 0: none. */
  grpcPort: number;
  /** Where client traffic comes from: the VPC CIDR (ALB IP targets); unset: anywhere (local). */
  clientCidr?: string;
  monitoringNamespace: string;
  /** Egress to Redis: a CIDR (ElastiCache in the VPC) or the in-cluster Redis pods. */
  redis: { cidr: string } | { namespace: string; podLabels: Record<string, string> };
  redisPort: number;
  /** Allow the EKS Pod Identity agent's link-local endpoint. */
  podIdentity: boolean;
}

/** Default-deny for the service pods, then exactly the traffic they need. */
export function networkPolicy(meta: WorkloadMeta, o: NetworkPolicyOptions): INetworkPolicy {
  const fromNamespace = (ns: string) => ({
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
  });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels },
    spec: {
      podSelector: { matchLabels: meta.labels },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [{ ipBlock: { cidr: o.clientCidr ?? '0.0.0.0/0' } }],
          ports: [
            { protocol: 'TCP', port: o.port },
            ...(o.grpcPort ? [{ protocol: 'TCP' as const, port: o.grpcPort }] : []),
          ],
        },
        { from: [fromNamespace(o.monitoringNamespace)], ports: [{ protocol: 'TCP', port: o.port }] },
      ],
      egress: [
        {
          to: [fromNamespace('kube-system')],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
        {
          to: [
            'cidr' in o.redis
              ? { ipBlock: { cidr: o.redis.cidr } }
              : { ...fromNamespace(o.redis.namespace), podSelector: { matchLabels: o.redis.podLabels } },
          ],
          ports: [{ protocol: 'TCP' as const, port: o.redisPort }],
        },
        // S3 (models), STS and the OTLP collector.
        { ports: [{ protocol: 'TCP', port: 443 }] },
        ...(o.podIdentity
          ? [
              {
                to: [{ ipBlock: { cidr: '169.254.170.23/32' } }],
                ports: [{ protocol: 'TCP' as const, port: 80 }],
              },
            ]
          : []),
      ],
    },
  };
}

export interface IngressOptions {
  serviceName: string;
  /** The port the gRPC Ingress routes to (grpcIngress); 0: no gRPC Ingress. */
  grpcPort?: number;
  scheme: 'internet-facing' | 'internal';
  host?: string;
  /** ACM certificate: HTTPS listener, HTTP redirected to it. */
  certificateArn?: string;
}

/** The ALB both Ingresses join (one load balancer, one WAF ACL, one certificate). */
export const ALB_GROUP = 'inference';

function albAnnotations(o: IngressOptions, listenPorts: object[]): Record<string, string> {
  const annotations: Record<string, string> = {
    'alb.ingress.kubernetes.io/group.name': ALB_GROUP,
    'alb.ingress.kubernetes.io/scheme': o.scheme,
    'alb.ingress.kubernetes.io/target-type': 'ip',
    'alb.ingress.kubernetes.io/load-balancer-attributes':
      'idle_timeout.timeout_seconds=60,routing.http.drop_invalid_header_fields.enabled=true',
    'alb.ingress.kubernetes.io/listen-ports': JSON.stringify(listenPorts),
  };
  if (o.certificateArn) {
    annotations['alb.ingress.kubernetes.io/certificate-arn'] = o.certificateArn;
    annotations['alb.ingress.kubernetes.io/ssl-policy'] = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
  }
  return annotations;
}

function ingressObject(
  meta: WorkloadMeta,
  name: string,
  annotations: Record<string, string>,
  o: IngressOptions,
  path: string,
  port: string,
): IIngress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: meta.namespace, labels: meta.labels, annotations },
    spec: {
      ingressClassName: 'alb',
      rules: [
        {
          ...(o.host ? { host: o.host } : {}),
          http: {
            paths: [
              {
                path,
                pathType: 'Prefix',
                backend: { service: { name: o.serviceName, port: { name: port } } },
              },
            ],
          },
        },
      ],
    },
  };
}

/**
 * An ALB (AWS Load Balancer Controller) routing only the OIP API (`/v2`) to the pods' IPs;
 * `/metrics` stays inside the cluster. The WAF ACL annotation is added by the caller when there is one.
 */
export function ingress(meta: WorkloadMeta, o: IngressOptions): IIngress {
  const annotations = albAnnotations(o, o.certificateArn ? [{ HTTP: 80 }, { HTTPS: 443 }] : [{ HTTP: 80 }]);
  annotations['alb.ingress.kubernetes.io/healthcheck-path'] = PATHS.ready;
  if (o.certificateArn) annotations['alb.ingress.kubernetes.io/ssl-redirect'] = '443';
  return ingressObject(meta, meta.name, annotations, o, '/v2', 'http');
}

/** gRPC methods are paths under their service's full name; only the inference API goes public. */
export const GRPC_PUBLIC_PATH = '/inference.GRPCInferenceService';

/**
 * The gRPC Ingress: a second Ingress on the same ALB (group) whose target group speaks gRPC to the
 * pods' gRPC port (backend-protocol-version GRPC), health-checked with grpc.health.v1. The ALB
 * serves gRPC only on an HTTPS listener, so it needs the certificate; health and reflection stay
 * inside the cluster. The caller adds the same WAF ACL annotation as on the REST Ingress.
 */
export function grpcIngress(meta: WorkloadMeta, o: IngressOptions & { certificateArn: string }): IIngress {
  const annotations = albAnnotations(o, [{ HTTPS: 443 }]);
  annotations['alb.ingress.kubernetes.io/backend-protocol-version'] = 'GRPC';
  annotations['alb.ingress.kubernetes.io/healthcheck-path'] = '/grpc.health.v1.Health/Check';
  // gRPC status 0 (OK): the Check answers OK with SERVING or NOT_SERVING, so readiness stays the kubelet's.
  annotations['alb.ingress.kubernetes.io/success-codes'] = '0';
  return ingressObject(meta, `${meta.name}-grpc`, annotations, o, GRPC_PUBLIC_PATH, 'grpc');
}
