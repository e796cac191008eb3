import { numberSetting, resourceGuardrail, stringList } from '../core/define';
import { GPU_RESOURCE } from '../core/k8s';
import { asArray, asRecord, at, toNumber, type PlainResource } from '../core/resources';

export const NODE_GROUP_TYPES = ['aws:eks/nodeGroup:NodeGroup', 'eks:index:ManagedNodeGroup'] as const;
export const NODE_POOL_TYPE = 'kubernetes:karpenter.sh/v1:NodePool';

/** EC2 families with NVIDIA GPUs; a node group using one is a GPU group whatever its AMI says. */
const GPU_FAMILY = /^(g\d+[a-z]*|p\d+[a-z]*)$/;

export function instanceFamily(instanceType: string): string {
  return instanceType.split('.')[0];
}

export interface GpuSettings {
  maxNodes: number;
  maxGpus: number;
  allowedInstanceFamilies: string[];
  gpuAmiTypes: string[];
}

function isGpuGroup(instanceTypes: string[], amiType: unknown, labels: Record<string, unknown>): boolean {
  return (
    instanceTypes.some((t) => GPU_FAMILY.test(instanceFamily(t))) ||
    (typeof amiType === 'string' && /NVIDIA|GPU/.test(amiType)) ||
    Object.keys(labels).some((k) => k.startsWith('nvidia.com/'))
  );
}

function hasGpuTaint(taints: unknown[], effects: string[]): boolean {
  return taints.some((t) => {
    const taint = asRecord(t);
    return taint?.key === GPU_RESOURCE && effects.includes(String(taint.effect));
  });
}

function disallowedFamilies(instanceTypes: string[], allowed: string[]): string[] {
  return [...new Set(instanceTypes.map(instanceFamily).filter((f) => !allowed.includes(f)))];
}

function groupInstanceTypes(group: PlainResource): string[] {
  return asArray(group.props.instanceTypes).filter((t): t is string => typeof t === 'string');
}

export function isGpuNodeGroup(group: PlainResource): boolean {
  return isGpuGroup(groupInstanceTypes(group), group.props.amiType, asRecord(group.props.labels) ?? {});
}

/** An EKS managed node group (the aws resource, or @pulumi/eks's component which has the same inputs). */
export function checkGpuNodeGroup(group: PlainResource, s: GpuSettings): string[] {
  if (!isGpuNodeGroup(group)) return [];
  const p = group.props;
  const instanceTypes = groupInstanceTypes(group);
  const out: string[] = [];
  if (typeof p.amiType !== 'string' || !s.gpuAmiTypes.includes(p.amiType)) {
    out.push(
      `amiType ${JSON.stringify(p.amiType)} is not a GPU AMI type (allowed: ${s.gpuAmiTypes.join(', ')})`,
    );
  }
  if (!hasGpuTaint(asArray(p.taints), ['NO_SCHEDULE'])) {
    out.push(`no taint ${GPU_RESOURCE}=true:NO_SCHEDULE, so ordinary pods can land on GPU nodes`);
  }
  const max = toNumber(at(p, 'scalingConfig', 'maxSize'));
  if (max === undefined) out.push(`scalingConfig.maxSize is not set: the group is unbounded`);
  else if (max > s.maxNodes) out.push(`scalingConfig.maxSize ${max} is above the GPU node cap ${s.maxNodes}`);
  const bad = disallowedFamilies(instanceTypes, s.allowedInstanceFamilies);
  if (bad.length > 0) {
    out.push(
      `instance families ${bad.join(', ')} are not allowed (allowed: ${s.allowedInstanceFamilies.join(', ')})`,
    );
  }
  return out;
}

function poolFacts(pool: PlainResource) {
  const spec = asRecord(at(pool.props, 'spec', 'template', 'spec')) ?? {};
  const requirements = asArray(spec.requirements).map((r) => asRecord(r) ?? {});
  const valuesOf = (key: string) =>
    requirements
      .filter((r) => r.key === key && r.operator === 'In')
      .flatMap((r) => asArray(r.values).map(String));
  const families = [
    ...new Set([
      ...valuesOf('karpenter.k8s.aws/instance-family'),
      ...valuesOf('node.kubernetes.io/instance-type').map(instanceFamily),
    ]),
  ];
  const gpuLimit = toNumber(at(pool.props, 'spec', 'limits', GPU_RESOURCE));
  const isGpu =
    families.some((f) => GPU_FAMILY.test(f)) ||
    gpuLimit !== undefined ||
    hasGpuTaint(asArray(spec.taints), ['NoSchedule']);
  return { spec, families, gpuLimit, isGpu };
}

export function isGpuNodePool(pool: PlainResource): boolean {
  return poolFacts(pool).isGpu;
}

/** A Karpenter NodePool that can launch GPU instances: bounded by spec.limits, tainted, allowed families. */
export function checkGpuNodePool(pool: PlainResource, s: GpuSettings): string[] {
  const { spec, families, gpuLimit, isGpu } = poolFacts(pool);
  if (!isGpu) return [];
  const out: string[] = [];
  if (!hasGpuTaint(asArray(spec.taints), ['NoSchedule'])) {
    out.push(`no taint ${GPU_RESOURCE}:NoSchedule in spec.template.spec.taints`);
  }
  if (gpuLimit === undefined) out.push(`spec.limits["${GPU_RESOURCE}"] is not set: the pool is unbounded`);
  else if (gpuLimit > s.maxGpus)
    out.push(`spec.limits["${GPU_RESOURCE}"] ${gpuLimit} is above the GPU cap ${s.maxGpus}`);
  if (families.length === 0) {
    out.push(
      'no karpenter.k8s.aws/instance-family or node.kubernetes.io/instance-type In [...] requirement: ' +
        'any family could be launched',
    );
  }
  const bad = disallowedFamilies(families, s.allowedInstanceFamilies);
  if (bad.length > 0) {
    out.push(
      `instance families ${bad.join(', ')} are not allowed (allowed: ${s.allowedInstanceFamilies.join(', ')})`,
    );
  }
  return out;
}

export const gpuNodeGroupsPolicy = resourceGuardrail(
  {
    name: 'gpu-node-groups',
    description:
      'GPU node groups use a GPU AMI, carry the nvidia.com/gpu NoSchedule taint, are capped, and use allowed instance families.',
    severity: 'high',
    enforcementLevel: 'mandatory',
    remediation:
      'Keep ml-platform:cluster.gpuNodeGroups[].max within the cap and instanceTypes within the allowed families; ' +
      'the program sets the AMI type and taint.',
    settings: {
      maxNodes: numberSetting(16, 'Largest maxSize a GPU node group may have.', 0),
      maxGpus: numberSetting(64, 'Largest nvidia.com/gpu limit a Karpenter GPU NodePool may have.', 0),
      allowedInstanceFamilies: stringList(
        ['g4dn', 'g5', 'g6', 'g6e'],
        'EC2 instance families GPU nodes may use.',
      ),
      gpuAmiTypes: stringList(
        [
          'AL2023_x86_64_NVIDIA',
          'AL2023_ARM_64_NVIDIA',
          'BOTTLEROCKET_x86_64_NVIDIA',
          'BOTTLEROCKET_ARM_64_NVIDIA',
        ],
        'EKS AMI types that ship the NVIDIA driver.',
      ),
    },
  },
  [...NODE_GROUP_TYPES, NODE_POOL_TYPE],
  (r, { settings, notApplicable }) => {
    if (r.type === NODE_POOL_TYPE) {
      if (!isGpuNodePool(r)) notApplicable('not a GPU NodePool');
      return checkGpuNodePool(r, settings);
    }
    if (!isGpuNodeGroup(r)) notApplicable('not a GPU node group');
    return checkGpuNodeGroup(r, settings);
  },
);
