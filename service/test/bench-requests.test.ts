import { createProductionGuards } from '../src/guards';
import { classifierBodyArg } from '../bench/requests';
import { startTestService, type TestService } from './http-support';

/**
 * The classifier benches (classifier-profile.ts, classifier-allocations.ts, hot-path-ab.ts) choose
 * their body with classifierBodyArg: with `--hits` every repeat must be a memory-tier hit, without
 * it every request must run the model. hot-path-ab.ts once built its own body with the two
 * swapped, and its "hits" rounds measured model runs.
 */
describe('the classifier benches send what their --hits flag says (real service)', () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService({}, { guards: createProductionGuards });
    await svc.loaded;
  }, 60_000);
  afterAll(async () => {
    await svc?.stop(5000);
  });

  const cacheOutcomes = async (body: string) => {
    const outcomes: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${svc.url}/v2/models/breast-cancer/versions/1/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      outcomes.push(res.headers.get('x-cache'));
    }
    return outcomes;
  };

  it('answers the --hits body from memory after the first request', async () => {
    const { body, what } = classifierBodyArg(['node', 'bench.ts', '--hits']);
    expect(what).toBe('memory-tier hits');
    expect((await cacheOutcomes(body)).slice(1)).toEqual(['hit-memory', 'hit-memory']);
  });

  it('runs the model for every request without --hits', async () => {
    const { body, what } = classifierBodyArg(['node', 'bench.ts']);
    expect(what).toBe('cache off');
    expect(await cacheOutcomes(body)).toEqual(['bypass', 'bypass', 'bypass']);
  });
});
