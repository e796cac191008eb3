import { bundleConsole, committedBundle } from '../console/build';
import { startTestService, type TestService } from './http-support';

/**
 * The console's bundle is committed (service/console/build.ts says why). It must be what its
 * sources build to now, and what the service serves.
 */
describe('the console bundle', () => {
  it('is current with its sources: run `npm run build:console` when this fails', async () => {
    const fresh = await bundleConsole();
    const committed = committedBundle();
    expect(committed['console.css'] === fresh['console.css']).toBe(true);
    expect(committed['console.js'] === fresh['console.js']).toBe(true);
  }, 60_000);

  describe('as served', () => {
    let service: TestService;
    beforeAll(async () => {
      service = await startTestService();
    }, 60_000);
    afterAll(() => service?.stop(5000));

    it.each([
      ['console.js', 'text/javascript'],
      ['console.css', 'text/css'],
    ] as const)('serves the committed %s as %s', async (name, type) => {
      const res = await fetch(`${service.url}/console/${name}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(new RegExp(`^${type}`));
      expect(await res.text()).toBe(committedBundle()[name]);
    });
  });
});
