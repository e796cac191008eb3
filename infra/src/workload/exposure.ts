import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IService } from 'kubernetes-models/v1/Service';
import { SCRAPE_LABEL } from '../monitoring/objects';
import { PATHS } from '@ml-platform/contract/names';
import type { WorkloadMeta } from './strategies';

/** ClusterIP Service on port 80; `scrape` marks the one the ServiceMonitor reads (never the preview). */
export function service(meta: WorkloadMeta, name: string, port: number, scrape: boolean): IService {
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
      ports: [{ name: 'http', port: 80, targetPort: port, protocol: 'TCP' }],
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
          ports: [{ protocol: 'TCP', port: o.port }],
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
  scheme: 'internet-facing' | 'internal';
  host?: string;
  /** ACM certificate: HTTPS listener, HTTP redirected to it. */
  certificateArn?: string;
}

/**
 * An ALB (AWS Load Balancer Controller) routing only the OIP API (`/v2`) to the pods' IPs;
 * `/metrics` stays inside the cluster. The WAF ACL annotation is added by the caller when there is one.
 */
export function ingress(meta: WorkloadMeta, o: IngressOptions): IIngress {
  const annotations: Record<string, string> = {
    'alb.ingress.kubernetes.io/scheme': o.scheme,
    'alb.ingress.kubernetes.io/target-type': 'ip',
    'alb.ingress.kubernetes.io/healthcheck-path': PATHS.ready,
    'alb.ingress.kubernetes.io/load-balancer-attributes':
      'idle_timeout.timeout_seconds=60,routing.http.drop_invalid_header_fields.enabled=true',
    'alb.ingress.kubernetes.io/listen-ports': JSON.stringify(
      o.certificateArn ? [{ HTTP: 80 }, { HTTPS: 443 }] : [{ HTTP: 80 }],
    ),
  };
  if (o.certificateArn) {
    annotations['alb.ingress.kubernetes.io/certificate-arn'] = o.certificateArn;
    annotations['alb.ingress.kubernetes.io/ssl-redirect'] = '443';
    annotations['alb.ingress.kubernetes.io/ssl-policy'] = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels, annotations },
    spec: {
      ingressClassName: 'alb',
      rules: [
        {
          ...(o.host ? { host: o.host } : {}),
          http: {
            paths: [
              {
                path: '/v2',
                pathType: 'Prefix',
                backend: { service: { name: o.serviceName, port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
    },
  };
}
