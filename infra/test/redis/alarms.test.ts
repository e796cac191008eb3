import { memberAlarms, memberClusterIds } from '../../src/redis/alarms';

const metricsBy = (replicas: number) =>
  Object.fromEntries(
    memberAlarms('ml-platform-prod', replicas).map((m) => [m.clusterId, m.alarms.map((a) => a.metricName)]),
  );

describe('ElastiCache alarms', () => {
  it('cover CPU, memory and evictions on every member, replication lag on the replicas only', () => {
    const base = ['EngineCPUUtilization', 'DatabaseMemoryUsagePercentage', 'Evictions'];
    expect(metricsBy(2)).toEqual({
      'ml-platform-prod-001': base,
      'ml-platform-prod-002': [...base, 'ReplicationLag'],
      'ml-platform-prod-003': [...base, 'ReplicationLag'],
    });
    expect(metricsBy(0)).toEqual({ 'ml-platform-prod-001': base });
  });

  it('name member clusters the way ElastiCache does', () => {
    expect(memberClusterIds('ml-platform-prod', 3)).toEqual([
      'ml-platform-prod-001',
      'ml-platform-prod-002',
      'ml-platform-prod-003',
    ]);
  });
});
