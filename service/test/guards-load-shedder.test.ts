import { Registry } from 'prom-client';
import { ServiceError } from '../src/core/errors';
import { LoadShedder, loadSheddingHook } from '../src/guards/load-shedder';

describe('load shedder', () => {
  it('admits up to its bound, sheds past it with 503 + Retry-After, and takes releases once', async () => {
    const registry = new Registry();
    const shedder = new LoadShedder(2, { registry, retryAfterSeconds: 2 });
    const a = shedder.acquire();
    shedder.acquire();
    let shed: unknown;
    try {
      shedder.acquire();
    } catch (err) {
      shed = err;
    }
    expect(shed).toBeInstanceOf(ServiceError);
    expect(shed).toMatchObject({ status: 503, retryAfterSeconds: 2 });
    expect((shed as Error).message).toBe('server overloaded: 2 requests in flight (limit 2); retry shortly');
    a();
    a();
    expect(shedder.inFlight).toBe(1);
    let release: () => void = () => {};
    expect(() => (release = shedder.acquire())).not.toThrow();
    const metrics = await registry.getMetricsAsJSON();
    expect(metrics.find((m) => m.name === 'load_shed_total')?.values[0].value).toBe(1);
    expect(metrics.find((m) => m.name === 'inference_in_flight_requests')?.values[0].value).toBe(2);
    // The gauge is read at the scrape: the next one sees the release.
    release();
    const after = await registry.getMetricsAsJSON();
    expect(after.find((m) => m.name === 'inference_in_flight_requests')?.values[0].value).toBe(1);
  });

  it('rejects a bound below one', () => {
    expect(() => new LoadShedder(0)).toThrow('maxInFlight must be >= 1, got 0');
  });

  it('sheds only inference calls that can report when they finish', () => {
    const shedder = new LoadShedder(1);
    const admit = loadSheddingHook(shedder);
    const finishers: (() => void)[] = [];
    const call = (scope: 'infer' | 'read' | 'admin') => ({
      requestId: 'r',
      scope,
      headers: {},
      setHeader: () => undefined,
      onFinish: (fn: () => void) => finishers.push(fn),
    });
    admit(call('infer'));
    expect(() => admit(call('infer'))).toThrow(ServiceError);
    admit(call('read'));
    admit(call('admin'));
    finishers.forEach((f) => f());
    expect(shedder.inFlight).toBe(0);
    admit(call('infer'));
    expect(shedder.inFlight).toBe(1);
  });
});
