import { ENV, LABELS, METRICS, SECRET_ENV } from '../src/names';

describe('metric names', () => {
  const metrics = Object.values(METRICS);

  it('end in _total exactly when they are counters', () => {
    const wrong = metrics
      .filter((m) => (m.type === 'counter') !== m.name.endsWith('_total'))
      .map((m) => `${m.type} ${m.name}`);
    expect(wrong).toEqual([]);
  });

  it('are unique snake_case Prometheus names with declared labels only', () => {
    expect(new Set(metrics.map((m) => m.name)).size).toBe(metrics.length);
    for (const m of metrics) expect(m.name).toMatch(/^[a-z][a-z0-9_]*$/);
    const declared = new Set<string>(Object.values(LABELS));
    const undeclared = metrics.flatMap((m) => m.labelNames.filter((l) => !declared.has(l)));
    expect(undeclared).toEqual([]);
  });
});

describe('env names', () => {
  it('name themselves, and the secrets are among them', () => {
    for (const [key, name] of Object.entries(ENV)) expect(name).toBe(key);
    for (const name of SECRET_ENV) expect(Object.values(ENV)).toContain(name);
  });
});
