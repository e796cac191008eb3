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
 * Alarms per cache node: engine CPU (Redis is single-threaded, so host CPU hides saturation), memory
 * (evictions start before 100%), evictions (keys lost to memory pressure, i.e. cache and rate-limit
 * state) and, when the group has replicas, replication lag (a failover would lose that much). Every
 * node gets the lag alarm because roles swap on failover; a primary reports no lag, which is not breaching.
 */
export function cacheNodeAlarms(replicated: boolean): CacheAlarmSpec[] {
  const alarms: CacheAlarmSpec[] = [
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
  if (replicated) {
    alarms.push({
      name: 'replication-lag',
      metricName: 'ReplicationLag',
      statistic: 'Maximum',
      threshold: 1,
      comparisonOperator: 'GreaterThanThreshold',
      periodSeconds: 60,
      evaluationPeriods: 5,
      description: 'Redis replica more than 1 s behind for 5 minutes',
    });
  }
  return alarms;
}

/** ElastiCache names member clusters `<group>-001`, `-002`, ...; the first is the initial primary. */
export function memberClusterIds(replicationGroupId: string, nodes: number): string[] {
  return Array.from({ length: nodes }, (_, i) => `${replicationGroupId}-${String(i + 1).padStart(3, '0')}`);
}
