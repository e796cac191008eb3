import { PATHS } from '@ml-platform/contract/names';
import { metadataPath, parseModelMetadata, type ModelMetadata } from '../payload';

/** The few OIP calls the runner makes before loading a target: readiness, model list, metadata. */
export class OipClient {
  constructor(
    readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
    private readonly timeoutMs = 10_000,
  ) {}

  private async call(method: 'GET' | 'POST', path: string): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { ...this.headers, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
        body: method === 'POST' ? '{}' : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new Error(`${method} ${this.baseUrl}${path} failed: ${(err as Error).message}`);
    }
  }

  private async json(method: 'GET' | 'POST', path: string): Promise<unknown> {
    const res = await this.call(method, path);
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return JSON.parse(text) as unknown;
  }

  async assertReady(): Promise<void> {
    const res = await this.call('GET', PATHS.ready);
    if (!res.ok) throw new Error(`${this.baseUrl} is not ready: GET ${PATHS.ready} answered ${res.status}`);
  }

  /** The first model of the repository index (the repository extension), for runs without --model. */
  async firstModel(): Promise<string> {
    const index = (await this.json('POST', PATHS.repositoryIndex)) as Array<{ name?: string }>;
    const name = Array.isArray(index) ? index.find((m) => typeof m.name === 'string')?.name : undefined;
    if (!name) throw new Error('the repository index lists no model: pass --model <name>');
    return name;
  }

  async metadata(model: string): Promise<ModelMetadata> {
    return parseModelMetadata(await this.json('GET', metadataPath(model)));
  }
}
