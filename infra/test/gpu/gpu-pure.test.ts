import { gpuNodeClass, gpuNodePool, INTERRUPTION_EVENTS } from '../../src/autoscaling/karpenter-objects';
import { dcgmExporterObjects } from '../../src/gpu/dcgm';
import { nodeTemplateTags } from '../../src/gpu/node-template-tags';

const group = {
  name: 'g5',
  instanceTypes: ['g5.xlarge', 'g5.2xlarge'],
  min: 0,
  max: 4,
  capacityType: 'SPOT' as const,
  diskSizeGb: 200,
};

describe('Cluster Autoscaler node-template tags', () => {
  it('describe labels, taint, GPUs and disk so a group at zero can scale up', () => {
    expect(nodeTemplateTags('c1', 'g5', 4, 200)).toEqual({
      'k8s.io/cluster-autoscaler/enabled': 'true',
      'k8s.io/cluster-autoscaler/c1': 'owned',
      'k8s.io/cluster-autoscaler/node-template/label/ml-platform/pool': 'gpu',
      'k8s.io/cluster-autoscaler/node-template/label/ml-platform/gpu-group': 'g5',
      'k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu': 'true:NoSchedule',
      'k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu': '4',
      'k8s.io/cluster-autoscaler/node-template/resources/ephemeral-storage': '200G',
    });
  });
});

describe('Karpenter GPU objects', () => {
  it('NodePool: types, spot, taint, GPU limit of max nodes, consolidation', () => {
    const pool = gpuNodePool(group, 1);
    const req = Object.fromEntries(pool.spec.template.spec.requirements.map((r) => [r.key, r.values]));
    expect(req['node.kubernetes.io/instance-type']).toEqual(['g5.xlarge', 'g5.2xlarge']);
    expect(req['karpenter.sh/capacity-type']).toEqual(['spot']);
    expect(pool.spec.limits).toEqual({ 'nvidia.com/gpu': '4' });
    expect(pool.spec.disruption?.consolidationPolicy).toBe('WhenEmptyOrUnderutilized');
    expect(pool.spec.template.metadata?.labels).toMatchObject({ 'ml-platform/pool': 'gpu' });
  });

  it('EC2NodeClass: named node role, discovery selectors, IMDSv2, encrypted disk of the group size', () => {
    const nc = gpuNodeClass(
      { clusterName: 'c1', nodeRoleName: 'c1-karpenter-node', tags: { stack: 's' } },
      group,
    );
    expect(nc.spec?.role).toBe('c1-karpenter-node');
    expect(nc.spec?.subnetSelectorTerms).toEqual([{ tags: { 'karpenter.sh/discovery': 'c1' } }]);
    expect(nc.spec?.metadataOptions?.httpTokens).toBe('required');
    expect(nc.spec?.blockDeviceMappings?.[0].ebs).toMatchObject({ volumeSize: '200Gi', encrypted: true });
  });

  it('drains ahead of Spot interruptions, rebalances, state changes and scheduled events', () => {
    expect(Object.keys(INTERRUPTION_EVENTS).sort()).toEqual([
      'instance-state-change',
      'rebalance',
      'scheduled-change',
      'spot-interruption',
    ]);
  });
});

describe('DCGM exporter', () => {
  it('runs on GPU nodes only, without claiming a GPU, scraped by a ServiceMonitor', () => {
    const { daemonSet, serviceMonitor } = dcgmExporterObjects('gpu-monitoring');
    const pod = daemonSet.spec!.template.spec!;
    expect(pod.nodeSelector).toEqual({ 'ml-platform/pool': 'gpu' });
    expect(pod.tolerations?.[0].key).toBe('nvidia.com/gpu');
    expect(JSON.stringify(pod.containers[0].resources)).not.toContain('nvidia.com/gpu');
    expect(serviceMonitor.spec.namespaceSelector?.matchNames).toEqual(['gpu-monitoring']);
  });
});
