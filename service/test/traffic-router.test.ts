import fc from 'fast-check';
import { route, stableBucket, type TrafficPolicy } from '../src/traffic/router';

const fixed = (x: number) => () => x;

describe('traffic router', () => {
  const policy: TrafficPolicy = {
    canary: { version: '2', weightPct: 10 },
    ab: {
      keyHeader: 'x-ab-key',
      variants: [
        { name: 'control', version: '1', weightPct: 50 },
        { name: 'treatment', version: '2', weightPct: 50 },
      ],
    },
  };

  it('serves an explicit version as asked, whatever the policy', () => {
    expect(route(policy, { explicitVersion: '1', abKey: 'k', random: fixed(0) })).toEqual({
      version: '1',
      variant: 'explicit',
    });
  });

  it('sends the canary share to the canary and the rest to stable', () => {
    expect(route({ canary: policy.canary }, { random: fixed(0.099) }).variant).toBe('canary');
    expect(route({ canary: policy.canary }, { random: fixed(0.1) })).toEqual({
      version: undefined,
      variant: 'stable',
    });
  });

  it('assigns an A/B key to the same variant every time', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (key, r) => {
        const a = route(policy, { abKey: key, random: fixed(r) });
        const b = route(policy, { abKey: key, random: Math.random });
        expect(a.variant).toMatch(/^ab:/);
        expect(b).toEqual(a);
      }),
    );
  });

  it('splits A/B keys close to the configured weights', () => {
    let treatment = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      if (route(policy, { abKey: `user-${i}`, random: fixed(0.5) }).variant === 'ab:treatment') treatment++;
    }
    expect(treatment / n).toBeGreaterThan(0.47);
    expect(treatment / n).toBeLessThan(0.53);
  });

  it('serves the configured stable version outside the canary share', () => {
    expect(route({ stable: '1', canary: { version: '2', weightPct: 10 } }, { random: fixed(0.5) })).toEqual({
      version: '1',
      variant: 'stable',
    });
  });

  it('falls back to the canary split without an A/B key', () => {
    expect(route(policy, { random: fixed(0.05) }).variant).toBe('canary');
  });

  it('adds a shadow copy for the sampled share, never to the version already serving', () => {
    const shadowed: TrafficPolicy = { shadow: { version: '2', samplePct: 5 } };
    expect(route(shadowed, { random: fixed(0.01) })).toEqual({
      version: undefined,
      variant: 'stable',
      shadowVersion: '2',
    });
    expect(route(shadowed, { random: fixed(0.5) }).shadowVersion).toBeUndefined();
    const canaryAndShadow: TrafficPolicy = {
      canary: { version: '2', weightPct: 100 },
      shadow: shadowed.shadow,
    };
    expect(route(canaryAndShadow, { random: fixed(0.01) }).shadowVersion).toBeUndefined();
  });

  it('hashes into the bucket range', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const b = stableBucket(s);
        expect(b).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThan(10_000);
      }),
    );
  });
});
