import { environments, numberSetting, stackGuardrail } from '../core/define';
import { isWorkload, kindOf, namespaceOf, objectName, podLabels, podSpec, selects } from '../core/k8s';
import { asArray, asRecord, at, toNumber, type PlainResource } from '../core/resources';

export const ZONE_KEY = 'topology.kubernetes.io/zone';

const HPA_TYPES = [
  'kubernetes:autoscaling/v2:HorizontalPodAutoscaler',
  'kubernetes:autoscaling/v1:HorizontalPodAutoscaler',
];
const SCALED_OBJECT_TYPE = 'kubernetes:keda.sh/v1alpha1:ScaledObject';
const PDB_TYPE = 'kubernetes:policy/v1:PodDisruptionBudget';

export interface AvailabilitySettings {
  minReplicas: number;
}

function sameNamespace(a: PlainResource, b: PlainResource): boolean {
  return namespaceOf(a) === namespaceOf(b);
}

/** The floor the workload never scales below: its own replicas, or the autoscaler's minimum that owns it. */
function replicaFloor(
  workload: PlainResource,
  resources: PlainResource[],
): { floor: number; source: string } {
  const name = objectName(workload);
  const kind = kindOf(workload.type);
  for (const r of resources) {
    if (!sameNamespace(r, workload)) continue;
    const target = asRecord(at(r.props, 'spec', 'scaleTargetRef'));
    if (target?.name !== name || (target.kind !== undefined && target.kind !== kind)) continue;
    if (HPA_TYPES.includes(r.type)) {
      return {
        floor: toNumber(at(r.props, 'spec', 'minReplicas')) ?? 1,
        source: `HorizontalPodAutoscaler ${r.name} minReplicas`,
      };
    }
    if (r.type === SCALED_OBJECT_TYPE) {
      // KEDA's default minReplicaCount is 0.
      return {
        floor: toNumber(at(r.props, 'spec', 'minReplicaCount')) ?? 0,
        source: `ScaledObject ${r.name} minReplicaCount`,
      };
    }
  }
  return { floor: toNumber(at(workload.props, 'spec', 'replicas')) ?? 1, source: 'spec.replicas' };
}

function spreadsOverZones(workload: PlainResource): boolean {
  const spec = podSpec(workload);
  const spread = asArray(at(spec, 'topologySpreadConstraints')).some(
    (c) => asRecord(c)?.topologyKey === ZONE_KEY,
  );
  const antiAffinity = [
    'requiredDuringSchedulingIgnoredDuringExecution',
    'preferredDuringSchedulingIgnoredDuringExecution',
  ]
    .flatMap((k) => asArray(at(spec, 'affinity', 'podAntiAffinity', k)))
    .some((t) => (asRecord(t)?.topologyKey ?? at(t, 'podAffinityTerm', 'topologyKey')) === ZONE_KEY);
  return spread || antiAffinity;
}

/** In prod a workload survives a node drain and a zone outage: 2+ replicas, a PDB, spread over zones. */
export function checkAvailability(
  resources: PlainResource[],
  s: AvailabilitySettings,
): { message: string; urn: string }[] {
  const out: { message: string; urn: string }[] = [];
  const pdbs = resources.filter((r) => r.type === PDB_TYPE);
  for (const w of resources.filter((r) => isWorkload(r.type) && kindOf(r.type) !== 'DaemonSet')) {
    const where = `${kindOf(w.type)} ${w.name}`;
    const { floor, source } = replicaFloor(w, resources);
    if (floor < s.minReplicas) {
      out.push({
        urn: w.urn,
        message: `${where} can run ${floor} replica(s) (${source}); prod needs at least ${s.minReplicas}`,
      });
    }
    const labels = podLabels(w);
    if (
      !pdbs.some(
        (p) => sameNamespace(p, w) && selects(at(p.props, 'spec', 'selector', 'matchLabels'), labels),
      )
    ) {
      out.push({ urn: w.urn, message: `${where} has no PodDisruptionBudget selecting its pods` });
    }
    if (!spreadsOverZones(w)) {
      out.push({ urn: w.urn, message: `${where} does not spread its pods over zones (${ZONE_KEY})` });
    }
  }
  return out;
}

export const prodAvailabilityPolicy = stackGuardrail(
  {
    name: 'prod-availability',
    description:
      'In prod, workloads keep at least 2 replicas (or autoscaler minimum), have a PDB, and spread over zones.',
    severity: 'high',
    enforcementLevel: 'mandatory',
    remediation:
      'Set ml-platform:autoscaling.pods.minReplicas to 2 or more; the program adds the PDB and zone spread.',
    settings: {
      minReplicas: numberSetting(2, 'Fewest replicas a workload may scale down to.', 1),
      environments: environments(['prod'], 'Environments the policy applies to.'),
    },
  },
  (resources, { settings, context: ctx, notApplicable }) => {
    const env = ctx().config.environment;
    if (!settings.environments.includes(env)) notApplicable(`not required in ${env}`);
    return checkAvailability(resources, settings);
  },
);
