import { ConfigError, listStacks, loadStackConfig, parseStackConfig, readStackFile, stackFile } from '../src';

describe('stack config', () => {
  it.each(listStacks())('stack %s validates', (stack) => {
    const cfg = loadStackConfig(stack);
    expect(cfg.sla.p99LatencyMs).toBeGreaterThanOrEqual(cfg.sla.p95LatencyMs);
  });

  it('names key, value and the rule for a bad value', () => {
    const raw = readStackFile(stackFile('prod'));
    const bad = { ...raw, sla: { ...(raw.sla as object), p99LatencyMs: 10 } };
    expect(() => parseStackConfig(bad, 'test')).toThrow(ConfigError);
    try {
      parseStackConfig(bad, 'test');
    } catch (e) {
      const issue = (e as ConfigError).issues.find((i) => i.key === 'ml-platform:sla.p99LatencyMs');
      expect(issue).toMatchObject({ value: 10 });
      expect(issue?.message).toMatch(/>= p95LatencyMs \(50\)/);
    }
  });

  it('rejects an unknown environment with the allowed values', () => {
    const raw = readStackFile(stackFile('dev'));
    expect(() => parseStackConfig({ ...raw, environment: 'qa' })).toThrow(
      /ml-platform:environment: .*dev.*staging.*prod.*local.*\(got "qa"\)/,
    );
  });
});
