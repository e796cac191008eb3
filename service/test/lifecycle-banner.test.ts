import { startServiceProcess } from '../../test/support/service-process';
import { tempRepository } from './http-support';

/** The start banner is for people: it must not say "Ready" when a model failed to load. */
async function bannerOf(models: string[]): Promise<string> {
  const repo = tempRepository(models);
  const svc = await startServiceProcess({ MODEL_REPOSITORY: repo.dir });
  try {
    const until = Date.now() + 60_000;
    while (!svc.lines.some((l) => l.includes('"msg":"models loaded"')) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
    }
    // The banner follows the "models loaded" line.
    await new Promise((r) => setTimeout(r, 200));
    return svc.lines.filter((l) => !l.startsWith('{')).join('\n');
  } finally {
    await svc.stop('SIGKILL');
    repo.remove();
  }
}

describe('start banner', () => {
  it('names the models that failed to load and why instead of "Ready"', async () => {
    const banner = await bannerOf(['breast-cancer', 'breast-cancer-lite', 'fixture:corrupt']);
    expect(banner).not.toMatch(/Ready\. Try/);
    expect(banner).toMatch(/Not ready/);
    expect(banner).toMatch(
      /model 'corrupt' failed to load: .*corrupt\/1\/model\.onnx: onnxruntime cannot load it/,
    );
  }, 90_000);

  it('prints "Ready. Try" with a curl when every model loaded', async () => {
    const banner = await bannerOf(['breast-cancer', 'breast-cancer-lite']);
    expect(banner).toMatch(
      /Ready\. Try:\s+curl -s -X POST http:\/\/127\.0\.0\.1:\d+\/v2\/models\/breast-cancer\/infer/,
    );
  }, 90_000);
});
