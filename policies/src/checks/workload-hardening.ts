import { booleanSetting, resourceGuardrail, stringList } from '../core/define';
import { WORKLOAD_TYPES } from '../core/k8s';
import { containers, GPU_RESOURCE, kindOf, podSpec, targetsGpuNodes, type Container } from '../core/k8s';
import { asArray, asRecord, at, type PlainResource, type Props } from '../core/resources';
import { isSet } from '../core/unknown';

/** Init containers run with the same privileges, so the security and image checks cover them too. */
function allContainers(resource: PlainResource): Container[] {
  const init = asArray(at(podSpec(resource), 'initContainers')).map((c, i) => {
    const props = asRecord(c) ?? {};
    return { name: typeof props.name === 'string' ? props.name : `init#${i}`, props };
  });
  return [...containers(resource), ...init];
}

export interface ResourcesSettings {
  requiredRequests: string[];
  requiredLimits: string[];
}

export function checkResourceBounds(resource: PlainResource, s: ResourcesSettings): string[] {
  const out: string[] = [];
  const cs = containers(resource);
  for (const c of cs) {
    const requests = asRecord(at(c.props, 'resources', 'requests'));
    const limits = asRecord(at(c.props, 'resources', 'limits'));
    const missingRequests = s.requiredRequests.filter((k) => !isSet(requests, k));
    const missingLimits = s.requiredLimits.filter((k) => !isSet(limits, k));
    if (missingRequests.length > 0) {
      out.push(`container "${c.name}" has no resources.requests for ${missingRequests.join(', ')}`);
    }
    if (missingLimits.length > 0) {
      out.push(`container "${c.name}" has no resources.limits for ${missingLimits.join(', ')}`);
    }
  }
  // A DaemonSet is a node agent (device plugin, DCGM exporter): it runs on GPU nodes without claiming a GPU.
  const claimsGpu = kindOf(resource.type) !== 'DaemonSet' && targetsGpuNodes(resource);
  if (claimsGpu && !cs.some((c) => isSet(asRecord(at(c.props, 'resources', 'limits')), GPU_RESOURCE))) {
    out.push(
      `the pod targets GPU nodes (toleration or nodeSelector) but no container sets resources.limits["${GPU_RESOURCE}"]: ` +
        'it would hold a GPU node without a GPU',
    );
  }
  return out;
}

/** A container setting wins over the pod's, as in Kubernetes. */
function effective(c: Container, pod: Props | undefined, key: string): unknown {
  const own = at(c.props, 'securityContext', key);
  return own !== undefined ? own : at(pod, 'securityContext', key);
}

export function checkSecurityContext(resource: PlainResource): string[] {
  const out: string[] = [];
  const pod = podSpec(resource);
  for (const c of allContainers(resource)) {
    const problems: string[] = [];
    if (effective(c, pod, 'runAsNonRoot') !== true) problems.push('runAsNonRoot is not true');
    if (at(c.props, 'securityContext', 'readOnlyRootFilesystem') !== true) {
      problems.push('readOnlyRootFilesystem is not true');
    }
    if (at(c.props, 'securityContext', 'allowPrivilegeEscalation') !== false) {
      problems.push('allowPrivilegeEscalation is not false');
    }
    if (at(c.props, 'securityContext', 'privileged') === true) problems.push('privileged is true');
    if (problems.length > 0) out.push(`container "${c.name}": ${problems.join('; ')}`);
  }
  return out;
}

export interface ImageSettings {
  forbiddenTags: string[];
  requireDigest: boolean;
}

/** Splits `registry[:port]/repo[:tag][@digest]`; a colon before the last slash belongs to the registry port. */
export function imageReference(image: string): { tag?: string; digest?: string } {
  const [name, digest] = image.split('@', 2);
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  return { tag: colon >= 0 ? name.slice(colon + 1) : undefined, digest };
}

export function checkImagePinned(resource: PlainResource, s: ImageSettings): string[] {
  const out: string[] = [];
  for (const c of allContainers(resource)) {
    const image = c.props.image;
    if (typeof image !== 'string' || image === '') {
      out.push(`container "${c.name}" has no image`);
      continue;
    }
    const { tag, digest } = imageReference(image);
    if (digest !== undefined && /^sha256:[0-9a-f]{64}$/.test(digest)) continue;
    if (s.requireDigest)
      out.push(`container "${c.name}" image "${image}" is not pinned by digest (@sha256:...)`);
    else if (tag === undefined)
      out.push(`container "${c.name}" image "${image}" has no tag, so it means "latest"`);
    else if (s.forbiddenTags.includes(tag)) {
      out.push(`container "${c.name}" image "${image}" uses the mutable tag "${tag}"`);
    }
  }
  return out;
}

export interface ProbeSettings {
  requiredProbes: string[];
}

export function checkProbes(resource: PlainResource, s: ProbeSettings): string[] {
  return containers(resource).flatMap((c) => {
    const missing = s.requiredProbes.filter((p) => !isSet(c.props, p));
    return missing.length > 0 ? [`container "${c.name}" has no ${missing.join(' or ')}`] : [];
  });
}

export const workloadResourcesPolicy = resourceGuardrail(
  {
    name: 'workload-resources',
    description: 'Every container sets requests and limits; pods on GPU nodes limit nvidia.com/gpu.',
    severity: 'medium',
    enforcementLevel: 'mandatory',
    remediation:
      'Set resources.requests and resources.limits on each container (ml-platform:service.resources).',
    settings: {
      requiredRequests: stringList(['cpu', 'memory'], 'Resources every container must request.'),
      requiredLimits: stringList(
        ['memory'],
        'Resources every container must limit (CPU limits throttle; off by default).',
      ),
    },
  },
  WORKLOAD_TYPES,
  (w, { settings }) => checkResourceBounds(w, settings),
);

export const workloadSecurityContextPolicy = resourceGuardrail(
  {
    name: 'workload-security-context',
    description: 'Containers run as non-root, with a read-only root filesystem and no privilege escalation.',
    severity: 'high',
    enforcementLevel: 'mandatory',
    remediation:
      'Set securityContext {runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}; ' +
      'mount an emptyDir where the process must write.',
    settings: {},
  },
  WORKLOAD_TYPES,
  (w) => checkSecurityContext(w),
);

export const workloadImagePinnedPolicy = resourceGuardrail(
  {
    name: 'workload-image-pinned',
    description: 'Container images are pinned by tag or digest, never `latest` or untagged.',
    severity: 'medium',
    enforcementLevel: 'mandatory',
    remediation: 'Set ml-platform:service.image to an immutable tag or an @sha256 digest.',
    settings: {
      forbiddenTags: stringList(['latest'], 'Mutable tags that do not pin an image.'),
      requireDigest: booleanSetting(false, 'Require @sha256 digests instead of tags.'),
    },
  },
  WORKLOAD_TYPES,
  (w, { settings }) => checkImagePinned(w, settings),
);

export const workloadProbesPolicy = resourceGuardrail(
  {
    name: 'workload-probes',
    description: 'Every container has readiness and liveness probes.',
    severity: 'medium',
    enforcementLevel: 'mandatory',
    remediation: 'Probe /v2/health/ready (readiness) and /v2/health/live (liveness).',
    settings: {
      requiredProbes: stringList(['readinessProbe', 'livenessProbe'], 'Probes each container must declare.'),
    },
  },
  WORKLOAD_TYPES,
  (w, { settings }) => checkProbes(w, settings),
);
