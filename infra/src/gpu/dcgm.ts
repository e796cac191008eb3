import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IService } from 'kubernetes-models/v1/Service';
import { IMAGES } from '../k8s/charts';
import { GPU_TOLERATION, gpuNodeSelector } from '../k8s/scheduling';

const NAME = 'dcgm-exporter';
const PORT = 9400;
const labels = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/part-of': 'ml-platform' };

/** The DCGM exporter on every GPU node: GPU utilisation, memory and health as Prometheus metrics. */
export function dcgmExporterObjects(namespace: string): {
  daemonSet: IDaemonSet;
  service: IService;
  serviceMonitor: IServiceMonitor;
} {
  const daemonSet: IDaemonSet = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: NAME, namespace, labels },
    spec: {
      selector: { matchLabels: labels },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels },
        spec: {
          nodeSelector: { ...gpuNodeSelector },
          tolerations: [{ ...GPU_TOLERATION }],
          priorityClassName: 'system-node-critical',
          automountServiceAccountToken: false,
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: NAME,
              image: IMAGES.dcgmExporter,
              // Sees every GPU through the NVIDIA runtime without claiming one from the device plugin.
              env: [
                { name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' },
                { name: 'DCGM_EXPORTER_LISTEN', value: `:${PORT}` },
                { name: 'DCGM_EXPORTER_KUBERNETES', value: 'true' },
              ],
              ports: [{ name: 'metrics', containerPort: PORT }],
              // DCGM reads GPU profiling counters, which needs SYS_ADMIN; nothing else is granted.
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] },
              },
              resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
              livenessProbe: {
                httpGet: { path: '/health', port: PORT },
                initialDelaySeconds: 30,
                periodSeconds: 15,
              },
              readinessProbe: {
                httpGet: { path: '/health', port: PORT },
                initialDelaySeconds: 10,
                periodSeconds: 10,
              },
              volumeMounts: [
                { name: 'pod-resources', mountPath: '/var/lib/kubelet/pod-resources', readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'pod-resources', hostPath: { path: '/var/lib/kubelet/pod-resources' } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
  const service: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: NAME, namespace, labels },
    spec: { selector: labels, ports: [{ name: 'metrics', port: PORT, targetPort: 'metrics' }] },
  };
  const serviceMonitor: IServiceMonitor = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: NAME, namespace, labels },
    spec: {
      selector: { matchLabels: labels },
      namespaceSelector: { matchNames: [namespace] },
      endpoints: [{ port: 'metrics', interval: '15s', path: '/metrics' }],
    },
  };
  return { daemonSet, service, serviceMonitor };
}
