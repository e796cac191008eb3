import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IService } from 'kubernetes-models/v1/Service';

/** A single password-protected Redis pod for the local stack: no persistence, hardened like the service. */
export function inClusterRedisObjects(
  ns: string,
  image: string,
  port: number,
  labels: Record<string, string>,
): { deployment: IDeployment; service: IService } {
  return {
    deployment: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'redis', namespace: ns, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 999,
              runAsGroup: 999,
              fsGroup: 999,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'redis',
                image,
                args: [
                  '--requirepass',
                  '$(REDIS_PASSWORD)',
                  '--save',
                  '',
                  '--appendonly',
                  'no',
                  '--maxmemory',
                  '200mb',
                  '--maxmemory-policy',
                  'allkeys-lru',
                ],
                env: [
                  {
                    name: 'REDIS_PASSWORD',
                    valueFrom: { secretKeyRef: { name: 'redis-password', key: 'password' } },
                  },
                ],
                ports: [{ name: 'redis', containerPort: port }],
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '256Mi' } },
                livenessProbe: { tcpSocket: { port }, periodSeconds: 10 },
                readinessProbe: { tcpSocket: { port }, periodSeconds: 5 },
                volumeMounts: [{ name: 'data', mountPath: '/data' }],
              },
            ],
            volumes: [{ name: 'data', emptyDir: {} }],
          },
        },
      },
    },
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'redis', namespace: ns, labels },
      spec: { selector: labels, ports: [{ name: 'redis', port, targetPort: 'redis' }] },
    },
  };
}
