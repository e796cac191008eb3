/** One CloudWatch alarm on an ElastiCache metric of one cache node. */
export interface CacheAlarmSpec {
  name: string;
  metricName: string;
  statistic: 'Average' | 'Maximum' | 'Sum';
  threshold: number;
  comparisonOperator: 'GreaterThanThreshold';
  periodSeconds: number;
  evaluationPeriods: number;
  description: string;
}

/**
 * On every node: engine CPU (Redis is single-threaded, so host CPU hides saturation), memory
 * (evictions start before 100%) and evictions (keys lost to memory pressure, i.e. cache and
 * rate-limit state).
 */
const NODE_ALARMS: readonly CacheAlarmSpec[] = [
  {
    name: 'engine-cpu',
    metricName: 'EngineCPUUtilization',
    statistic: 'Average',
    threshold: 75,
    comparisonOperator: 'GreaterThanThreshold',
    periodSeconds: 300,
    evaluationPeriods: 3,
    description: 'Redis engine CPU above 75% for 15 minutes',
  },
  {
    name: 'memory',
    metricName: 'DatabaseMemoryUsagePercentage',
    statistic: 'Average',
    threshold: 80,
    comparisonOperator: 'GreaterThanThreshold',
    periodSeconds: 300,
    evaluationPeriods: 3,
    description: 'Redis memory above 80% for 15 minutes',
  },
  {
    name: 'evictions',
    metricName: 'Evictions',
    statistic: 'Sum',
    threshold: 100,
    comparisonOperator: 'GreaterThanThreshold',
    periodSeconds: 300,
    evaluationPeriods: 1,
    description: 'Redis evicted more than 100 keys in 5 minutes',
  },
];

/** How far a replica is behind: what a failover to it would lose. Only replicas report it. */
const REPLICATION_LAG: CacheAlarmSpec = {
  name: 'replication-lag',
  metricName: 'ReplicationLag',
  statistic: 'Maximum',
  threshold: 1,
  comparisonOperator: 'GreaterThanThreshold',
  periodSeconds: 60,
  evaluationPeriods: 5,
  description: 'Redis replica more than 1 s behind for 5 minutes',
};

/** ElastiCache names member clusters `<group>-001`, `-002`, ...; the first is the initial primary. */
export function memberClusterIds(replicationGroupId: string, nodes: number): string[] {
  return Array.from({ length: nodes }, (_, i) => `${replicationGroupId}-${String(i + 1).padStart(3, '0')}`);
}

/**
 * The alarms of each member cluster of a group with `replicas` replicas. Replication lag goes on the
 * initial replicas only: the primary never reports the metric, so with missing data treated as not
 * breaching an alarm there could never fire.
 */
export function memberAlarms(
  replicationGroupId: string,
  replicas: number,
): { clusterId: string; alarms: CacheAlarmSpec[] }[] {
  return memberClusterIds(replicationGroupId, replicas + 1).map((clusterId, i) => ({
    clusterId,
    alarms: i === 0 ? [...NODE_ALARMS] : [...NODE_ALARMS, REPLICATION_LAG],
  }));
}
