import { cacheNodeAlarms, memberClusterIds } from '../../src/redis/alarms';

describe('ElastiCache alarms', () => {
  it('cover CPU, memory and evictions, plus replication lag when there are replicas', () => {
    expect(cacheNodeAlarms(false).map((a) => a.metricName)).toEqual([
      'EngineCPUUtilization',
      'DatabaseMemoryUsagePercentage',
      'Evictions',
    ]);
    expect(cacheNodeAlarms(true).map((a) => a.metricName)).toContain('ReplicationLag');
  });

  it('name member clusters the way ElastiCache does', () => {
    expect(memberClusterIds('ml-platform-prod', 3)).toEqual([
      'ml-platform-prod-001',
      'ml-platform-prod-002',
      'ml-platform-prod-003',
    ]);
  });
});
