import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../src/config/env';
import { startService, type RunningService } from '../src/service';
import { breastCancerRequest, postJson, tempRepository } from './http-support';

/**
 * Edge cases of the HTTP surface found by trying the service as a new user would: truncated and
 * aborted bodies, oversized URLs, malformed repository requests, failed models and unloaded ones.
 * Each gets a JSON error naming the problem, and metrics keep their labels bounded and honest.
 */
const repo = tempRepository(['breast-cancer-lite', 'fixture:corrupt']);
const logs: Record<string, unknown>[] = [];
let svc: RunningService;
let url: string;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const config = loadConfig({
    PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    MODEL_REPOSITORY: repo.dir,
    REQUEST_TIMEOUT_MS: '1000',
  });
  svc = await startService(config, { logger: pino({ level: 'info' }, sink) });
  url = `http://127.0.0.1:${svc.address.port}`;
  await svc.loaded;
}, 60_000);
afterAll(async () => {
  await svc?.stop(5000);
  repo.remove();
});

/** Writes `text` on a raw connection; `abortAfterMs` cuts it then. Resolves with the reply and its time. */
function raw(text: string, abortAfterMs?: number) {
  return new Promise<{ reply: string; ms: number }>((resolve, reject) => {
    const started = Date.now();
    let reply = '';
    const socket = net.connect(svc.address.port, '127.0.0.1', () => {
      socket.write(text);
      if (abortAfterMs !== undefined) setTimeout(() => socket.destroy(), abortAfterMs);
    });
    socket.on('data', (d) => (reply += d.toString()));
    socket.on('close', () => resolve({ reply, ms: Date.now() - started }));
    socket.on('error', reject);
    socket.setTimeout(20_000, () => socket.destroy(new Error('the server never closed the connection')));
  });
}

const bodyOf = (reply: string) => JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { error: string };

async function metricsText() {
  return (await fetch(`${url}/metrics`)).text();
}

describe('truncated and aborted bodies', () => {
  const head = (path: string) =>
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"inputs":`;

  it('answers a body that stops coming with a JSON 408 within REQUEST_TIMEOUT_MS', async () => {
    const r = await raw(head('/v2/models/breast-cancer-lite/versions/1/infer'));
    expect(r.reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.reply).toMatch(/content-type: application\/json/i);
    expect(bodyOf(r.reply).error).toMatch(/REQUEST_TIMEOUT_MS/);
    expect(r.ms).toBeLessThan(5000);
  }, 30_000);

  it('counts a client abort as 499 with the version from the URL, never as a server error', async () => {
    await raw(head('/v2/models/breast-cancer-lite/versions/1/infer'), 200);
    await new Promise((r) => setTimeout(r, 200));
    const text = await metricsText();
    expect(text).toMatch(
      /inference_requests_total\{model="breast-cancer-lite",version="1",status="499",protocol="rest"\} 1/,
    );
    expect(text).not.toMatch(/inference_requests_total\{[^}]*status="5\d\d"\}/);
    expect(logs.filter((l) => l.msg === 'inference failed')).toEqual([]);
  });
});

describe('oversized URLs and malformed repository requests', () => {
  it('answers a 20,000-character model name with a JSON 431', async () => {
    const r = await raw(`GET /v2/models/${'m'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(r.reply).toMatch(/^HTTP\/1\.1 431 /);
    expect(bodyOf(r.reply).error).toMatch(/header/i);
  });

  it.each([['[null,null]'], ['null'], ['"ready"'], ['7']])(
    'answers a repository index body that is not an object (%s) with 400',
    async (body) => {
      const res = await postJson(`${url}/v2/repository/index`, body);
      expect(res.status).toBe(400);
      expect(res.json.error).toMatch(/must be a JSON object/);
    },
  );
});

describe('failed and unloaded models', () => {
  it('says which model failed to load and why, with paths relative to the repository', async () => {
    const ready = await fetch(`${url}/v2/health/ready`);
    expect(ready.status).toBe(503);
    const { error } = (await ready.json()) as { error: string };
    expect(error).toMatch(/corrupt/);
    expect(error).toMatch(/corrupt\/1\/model\.onnx: onnxruntime cannot load it/);
    expect(error).not.toMatch(/loading/);
    expect(error).not.toContain(repo.dir);
    const index = await postJson(`${url}/v2/repository/index`, {});
    expect(index.text).toMatch(/corrupt\/1\/model\.onnx/);
    expect(index.text).not.toContain(repo.dir);
    const load = await postJson(`${url}/v2/repository/models/corrupt/load`, {});
    expect(load.status).toBe(400);
    expect(load.json.error).not.toContain(repo.dir);
    const missing = await postJson(`${url}/v2/repository/models/absent/load`, {});
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatch(/no absent\/config\.json/);
    expect(missing.json.error).not.toContain(repo.dir);
  });

  it('labels requests for an unloaded model with its name, unknown names still as (unknown)', async () => {
    expect((await postJson(`${url}/v2/repository/models/breast-cancer-lite/unload`, {})).status).toBe(200);
    try {
      const res = await postJson(`${url}/v2/models/breast-cancer-lite/infer`, breastCancerRequest());
      expect(res.status).toBe(503);
      await postJson(`${url}/v2/models/breast-cancer-lite/versions/1/infer`, breastCancerRequest());
      await postJson(`${url}/v2/models/breast-cancer-lite/versions/99/infer`, breastCancerRequest());
      await postJson(`${url}/v2/models/corrupt/infer`, breastCancerRequest());
      await postJson(`${url}/v2/models/not-here/infer`, breastCancerRequest());
      const text = await metricsText();
      expect(text).toMatch(
        /inference_requests_total\{model="breast-cancer-lite",version="",status="503",protocol="rest"\} 1/,
      );
      expect(text).toMatch(
        /inference_requests_total\{model="breast-cancer-lite",version="1",status="503",protocol="rest"\} 1/,
      );
      expect(text).toMatch(
        /inference_requests_total\{model="breast-cancer-lite",version="\(unknown\)",status="404",protocol="rest"\} 1/,
      );
      expect(text).toMatch(
        /inference_requests_total\{model="corrupt",version="",status="503",protocol="rest"\} 1/,
      );
      expect(text).toMatch(
        /inference_requests_total\{model="\(unknown\)",version="\(unknown\)",status="404",protocol="rest"\} 1/,
      );
      expect(text).not.toMatch(/not-here/);
    } finally {
      await postJson(`${url}/v2/repository/models/breast-cancer-lite/load`, {});
    }
  });
});

describe('load with parameters.config (as Triton)', () => {
  const load = (body: unknown) => postJson(`${url}/v2/repository/models/breast-cancer-lite/load`, body);
  const outputs = async () =>
    (
      (await (await fetch(`${url}/v2/models/breast-cancer-lite`)).json()) as { outputs: { name: string }[] }
    ).outputs.map((o) => o.name);
  const base = { name: 'breast-cancer-lite', max_batch_size: 64 };

  it('loads with the given config instead of config.json, and from config.json again without one', async () => {
    expect(await outputs()).toEqual(['label', 'probabilities']);
    const narrowed = { ...base, output: [{ name: 'probabilities' }] };
    const res = await load({ parameters: { config: JSON.stringify(narrowed) } });
    expect(res.status).toBe(200);
    expect(await outputs()).toEqual(['probabilities']);
    const answer = await postJson(`${url}/v2/models/breast-cancer-lite/infer`, breastCancerRequest());
    expect((answer.json.outputs as { name: string }[]).map((o) => o.name)).toEqual(['probabilities']);
    expect((await load({})).status).toBe(200);
    expect(await outputs()).toEqual(['label', 'probabilities']);
  });

  it.each([
    [
      { parameters: { config: JSON.stringify({ ...base, max_batch_size: -1 }) } },
      /parameters\.config: max_batch_size: got -1/,
    ],
    [
      { parameters: { config: JSON.stringify({ ...base, name: 'other' }) } },
      /parameters\.config: name: got "other"/,
    ],
    [{ parameters: { config: '{"name":' } }, /parameters\.config: not valid JSON/],
    [{ parameters: { config: { name: 'x' } } }, /parameters\.config must be a string/],
    [{ parameters: { 'file:1/model.onnx': 'AAAA' } }, /parameters\.file:1\/model\.onnx is not supported/],
    [[1], /must be a JSON object/],
  ])(
    'answers a bad load request with 400 naming the field, and the loaded version keeps serving',
    async (body, pattern) => {
      const res = await load(body);
      expect(res.status).toBe(400);
      expect(res.json.error).toMatch(pattern);
      const answer = await postJson(`${url}/v2/models/breast-cancer-lite/infer`, breastCancerRequest());
      expect(answer.status).toBe(200);
    },
  );
});

describe('classification extension', () => {
  const classify = (output: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    postJson(
      `${url}/v2/models/breast-cancer-lite/infer`,
      breastCancerRequest(2, { outputs: [output], ...extra }),
    );

  it('is advertised in server metadata', async () => {
    const { extensions } = (await (await fetch(`${url}/v2`)).json()) as { extensions: string[] };
    expect(extensions).toContain('classification');
  });

  it('answers top-k as BYTES "score:index:label" with the labels file the config names', async () => {
    const res = await classify({ name: 'probabilities', parameters: { classification: 2 } });
    expect(res.status).toBe(200);
    const [out] = res.json.outputs as { name: string; datatype: string; shape: number[]; data: string[] }[];
    expect(out).toMatchObject({ name: 'probabilities', datatype: 'BYTES', shape: [2, 2] });
    for (let row = 0; row < 2; row++) {
      const [best, second] = out.data.slice(row * 2, row * 2 + 2).map((s) => s.split(':'));
      expect(Number(best[0])).toBeGreaterThanOrEqual(Number(second[0]));
      expect([best[1], second[1]].sort()).toEqual(['0', '1']);
      for (const [, index, label] of [best, second])
        expect(label).toBe(index === '0' ? 'malignant' : 'benign');
    }
    const raw = await postJson(
      `${url}/v2/models/breast-cancer-lite/infer`,
      breastCancerRequest(2, { outputs: [{ name: 'probabilities' }] }),
    );
    const scores = (raw.json.outputs as { data: number[] }[])[0].data;
    expect(Number(out.data[0].split(':')[0])).toBeCloseTo(Math.max(scores[0], scores[1]), 5);
  });

  it('answers in the binary section when asked, and without labels where the config names none', async () => {
    const res = await fetch(`${url}/v2/models/breast-cancer-lite/infer`, {
      method: 'POST',
      body: JSON.stringify(
        breastCancerRequest(1, {
          outputs: [{ name: 'label', parameters: { classification: 1, binary_data: true } }],
        }),
      ),
    });
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    const headerLength = Number(res.headers.get('inference-header-content-length'));
    const header = JSON.parse(body.toString('utf8', 0, headerLength));
    expect(header.outputs[0]).toMatchObject({ name: 'label', datatype: 'BYTES', shape: [1, 1] });
    const element = body.subarray(headerLength + 4, headerLength + 4 + body.readUInt32LE(headerLength));
    expect(element.toString()).toMatch(/^[01]:0$/);
  });

  it.each([[0], [-1], [1.5], ['2']])('answers classification %p with 400 naming the output', async (k) => {
    const res = await classify({ name: 'probabilities', parameters: { classification: k } });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/output 'probabilities'.*classification must be a positive integer/);
  });
});
