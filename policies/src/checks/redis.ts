import * as aws from '@pulumi/aws';
import { environments, resourceGuardrail, stackGuardrail } from '../core/define';
import { asArray, asRecord, at, toNumber, type PlainResource } from '../core/resources';
import { isSet } from '../core/unknown';

export const REPLICATION_GROUP_TYPE = 'aws:elasticache/replicationGroup:ReplicationGroup';
export const CACHE_CLUSTER_TYPE = 'aws:elasticache/cluster:Cluster';
export const REDIS_PORT = 6379;

export function checkRedisEncryption(resource: PlainResource): string[] {
  const p = resource.props;
  if (resource.type === CACHE_CLUSTER_TYPE) {
    // A member of a replication group is checked through the group.
    if (isSet(p, 'replicationGroupId')) return [];
    return ['a standalone cache cluster cannot have an auth token and failover: use a replication group'];
  }
  const out: string[] = [];
  if (p.transitEncryptionEnabled !== true)
    out.push('transitEncryptionEnabled is not true: traffic is plaintext');
  else if (p.transitEncryptionMode !== undefined && p.transitEncryptionMode !== 'required') {
    out.push(
      `transitEncryptionMode is ${JSON.stringify(p.transitEncryptionMode)}: plaintext clients are still accepted`,
    );
  }
  if (p.atRestEncryptionEnabled !== true) {
    out.push('atRestEncryptionEnabled is not true: snapshots and swap are unencrypted');
  }
  if (!isSet(p, 'authToken') && !isSet(p, 'userGroupIds')) {
    out.push('no authToken (or RBAC userGroupIds): any client in the network can read and write');
  }
  return out;
}

/** Automatic failover needs a replica to fail over to, and multi-AZ puts that replica in another zone. */
export function checkRedisHighAvailability(resource: PlainResource): string[] {
  if (resource.type !== REPLICATION_GROUP_TYPE) return [];
  const p = resource.props;
  const out: string[] = [];
  if (p.automaticFailoverEnabled !== true) out.push('automaticFailoverEnabled is not true');
  if (p.multiAzEnabled !== true) out.push('multiAzEnabled is not true');
  const nodes = toNumber(p.numCacheClusters);
  const replicas = toNumber(p.replicasPerNodeGroup);
  if ((nodes === undefined || nodes < 2) && (replicas === undefined || replicas < 1)) {
    out.push('there is no replica (numCacheClusters < 2 and replicasPerNodeGroup < 1)');
  }
  return out;
}

const WORLD = new Set(['0.0.0.0/0', '::/0']);

function coversPort(from: unknown, to: unknown, protocol: unknown, port: number): boolean {
  if (protocol === '-1' || protocol === 'all' || protocol === -1) return true;
  const lo = toNumber(from);
  const hi = toNumber(to);
  return lo !== undefined && hi !== undefined && lo <= port && port <= hi;
}

function openToWorld(cidrs: unknown[]): boolean {
  return cidrs.some((c) => typeof c === 'string' && WORLD.has(c));
}

/**
 * Redis must never be reachable from the internet: no security group rule opens its port to the
 * world, and no Kubernetes Service exposes it outside the cluster.
 */
export function checkRedisNotPublic(resources: PlainResource[]): { message: string; urn: string }[] {
  const ports = new Set([
    REDIS_PORT,
    ...resources
      .filter((r) => r.type === REPLICATION_GROUP_TYPE)
      .map((r) => toNumber(r.props.port))
      .filter((n): n is number => n !== undefined),
  ]);
  const out: { message: string; urn: string }[] = [];
  const flag = (r: PlainResource, port: number, how: string) =>
    out.push({ urn: r.urn, message: `${r.name} ${how} on the Redis port ${port}` });
  for (const r of resources) {
    for (const port of ports) {
      if (r.type === 'aws:ec2/securityGroup:SecurityGroup') {
        const open = asArray(r.props.ingress).some((i) => {
          const rule = asRecord(i) ?? {};
          return (
            coversPort(rule.fromPort, rule.toPort, rule.protocol, port) &&
            openToWorld([...asArray(rule.cidrBlocks), ...asArray(rule.ipv6CidrBlocks)])
          );
        });
        if (open) flag(r, port, 'allows ingress from the internet');
      } else if (r.type === 'aws:ec2/securityGroupRule:SecurityGroupRule') {
        const p = r.props;
        if (
          p.type === 'ingress' &&
          coversPort(p.fromPort, p.toPort, p.protocol, port) &&
          openToWorld([...asArray(p.cidrBlocks), ...asArray(p.ipv6CidrBlocks)])
        ) {
          flag(r, port, 'allows ingress from the internet');
        }
      } else if (r.type === 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule') {
        const p = r.props;
        if (coversPort(p.fromPort, p.toPort, p.ipProtocol, port) && openToWorld([p.cidrIpv4, p.cidrIpv6])) {
          flag(r, port, 'allows ingress from the internet');
        }
      } else if (r.type === 'kubernetes:core/v1:Service') {
        const type = at(r.props, 'spec', 'type');
        const exposes = asArray(at(r.props, 'spec', 'ports')).some(
          (sp) => toNumber(asRecord(sp)?.port) === port,
        );
        if (exposes && (type === 'LoadBalancer' || type === 'NodePort')) {
          flag(r, port, `is a ${String(type)} Service exposing Redis outside the cluster`);
        }
      }
    }
  }
  return out;
}

export const redisEncryptionPolicy = resourceGuardrail(
  {
    name: 'redis-encryption',
    description: 'ElastiCache Redis encrypts in transit and at rest and requires an auth token.',
    severity: 'critical',
    enforcementLevel: 'mandatory',
    remediation:
      'Use the platform Redis component, which sets TLS (required), at-rest encryption and a random auth token.',
    settings: {},
  },
  [REPLICATION_GROUP_TYPE, CACHE_CLUSTER_TYPE],
  (r) => checkRedisEncryption(r),
);

export const redisHighAvailabilityPolicy = resourceGuardrail(
  {
    name: 'redis-high-availability',
    description: 'In prod, Redis has a replica, automatic failover and multi-AZ.',
    severity: 'high',
    enforcementLevel: 'mandatory',
    remediation:
      'Set ml-platform:redis.replicas to 1 or more; the program enables failover and multi-AZ with it.',
    settings: { environments: environments(['prod'], 'Environments that need highly available Redis.') },
  },
  aws.elasticache.ReplicationGroup,
  (r, { settings, context: ctx, notApplicable }) => {
    const env = ctx().config.environment;
    if (!settings.environments.includes(env)) notApplicable(`not required in ${env}`);
    return checkRedisHighAvailability(r);
  },
);

export const redisNotPublicPolicy = stackGuardrail(
  {
    name: 'redis-not-public',
    description:
      'Nothing opens the Redis port to the internet: no world-open security group rule, no external Service.',
    severity: 'critical',
    enforcementLevel: 'mandatory',
    remediation:
      'Allow the Redis port only from the node security group; keep in-cluster Redis a ClusterIP Service.',
    settings: {},
  },
  (resources) => checkRedisNotPublic(resources),
);
